import type { BotSettings } from '../config/schema.js';
import type { Actor, Place } from './types.js';

/** A permission decision; a refusal always carries the reason shown to the user. */
export type Decision = { ok: true } | { ok: false; reason: string };

const OK: Decision = { ok: true };

/**
 * Who may do what, from `settings.bot` and the platform's own admin flag. Platform-free: the adapter
 * fills `Actor.isPlatformAdmin` (Slack workspace admin/owner, Discord Manage Server) and `Actor.roles`.
 */
export class Permissions {
  constructor(private readonly bot: Pick<BotSettings, 'admins' | 'reviewers' | 'adminRoles' | 'reviewerRoles' | 'allowChannels'>) {}

  /** Whether the bot acts in this place at all (`bot.allowChannels`). */
  inChannel(place: Place): Decision {
    const allow = this.bot.allowChannels;
    if (!allow || allow.includes(place.key)) return OK;
    return { ok: false, reason: `restyle is not enabled in this channel: ${place.key} is not listed in bot.allowChannels` };
  }

  /** Mapping and unmapping channels. */
  canMap(actor: Actor): Decision {
    if (actor.isPlatformAdmin) return OK;
    if (this.bot.admins.includes(actor.key)) return OK;
    if (hasRole(actor, this.bot.adminRoles)) return OK;
    const roles = this.bot.adminRoles.length > 0 ? ', hold a role in bot.adminRoles' : '';
    return {
      ok: false,
      reason: `only ${platformAdmins(actor.platform)}${roles} or users listed in bot.admins can map channels, and ${actor.key} is none of these`,
    };
  }

  /** Approving and rejecting samples. */
  canReview(actor: Actor): Decision {
    if (this.bot.reviewers.includes(actor.key)) return OK;
    if (hasRole(actor, this.bot.reviewerRoles)) return OK;
    const roles = this.bot.reviewerRoles.length > 0 ? ' or holding a role in bot.reviewerRoles' : '';
    return { ok: false, reason: `only reviewers (users listed in bot.reviewers${roles}) can review samples, and ${actor.key} is not one` };
  }

  /** Reviewers' own samples skip the queue. */
  isReviewer(actor: Actor): boolean {
    return this.canReview(actor).ok;
  }
}

function hasRole(actor: Actor, roles: readonly string[]): boolean {
  return roles.length > 0 && (actor.roles ?? []).some((r) => roles.includes(r));
}

function platformAdmins(platform: string): string {
  if (platform === 'slack') return 'workspace admins and owners';
  if (platform === 'discord') return 'members with Manage Server';
  return 'platform admins';
}

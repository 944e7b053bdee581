import { GuildMember, PermissionFlagsBits, type APIInteractionGuildMember, type BaseInteraction, type User } from 'discord.js';
import type { Actor, Place } from '../../src/bot/types.js';
import { discordActor, discordPlace, placeById } from './convert.js';

/**
 * The person behind an interaction: Manage Server comes from the member's permissions as Discord computed
 * them for this channel; roles feed `bot.adminRoles` / `bot.reviewerRoles`.
 */
export function interactionActor(interaction: BaseInteraction): Actor {
  return discordActor(interaction.user, {
    isPlatformAdmin: interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false,
    roles: memberRoles(interaction.member),
  });
}

/** Where an interaction happened (thread → parent channel's key). */
export function interactionPlace(interaction: BaseInteraction): Place {
  if (interaction.channel) return discordPlace(interaction.channel);
  return placeById(interaction.channelId ?? 'unknown', { isDirect: !interaction.inGuild() });
}

/** Someone known from a gateway event, with the roles of their cached member (reactions carry the member). */
export function memberActor(user: Pick<User, 'id' | 'username' | 'globalName'>, member: GuildMember | null | undefined): Actor {
  return discordActor(user, { roles: memberRoles(member ?? null) });
}

export function memberRoles(member: GuildMember | APIInteractionGuildMember | null): string[] {
  if (!member) return [];
  if (member instanceof GuildMember) return [...member.roles.cache.keys()];
  return [...member.roles];
}

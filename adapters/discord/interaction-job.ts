import { MessageFlags, type Interaction } from 'discord.js';
import * as z from 'zod';
import type { BotCommand } from '../../src/bot/command.js';
import type { PostDelivery } from '../../src/bot/preview.js';
import { gaveUpText, note } from '../../src/bot/replies.js';
import type { Reply } from '../../src/bot/types.js';
import type { JobContext, JobQueue } from '../../src/queue/types.js';
import { interactionActor, interactionPlace } from './actor.js';
import type { DiscordJobDeps } from './answer-job.js';
import { COMMAND_NAME, MENU_RESTYLE, MENU_SAVE, toBotCommand } from './commands.js';
import { messageRef } from './convert.js';
import { discordHelp } from './help.js';
import { actorPayload, messagePayload, placePayload } from './job-payload.js';
import { BUTTON_ID, EDIT_INPUT, EDIT_MODAL_PREFIX } from './render.js';
import { answerInteraction } from './webhook-reply.js';

export const INTERACTION_JOB = 'discord.interaction';

const what = z.discriminatedUnion('kind', [
  // A parsed `/restyle` subcommand (built from typed options at intake).
  z.object({ kind: z.literal('command'), command: z.object({ kind: z.enum(['restyle', 'map', 'unmap', 'styles', 'status', 'review', 'forget', 'help']) }).passthrough() }),
  z.object({ kind: z.literal('menu'), menu: z.enum(['restyle', 'save']), message: messagePayload }),
  z.object({ kind: z.literal('button'), action: z.enum(['post', 'save', 'discard', 'approve', 'reject']), id: z.string().min(1) }),
  z.object({ kind: z.literal('edit'), id: z.string().min(1), text: z.string() }),
]);

const interactionPayload = z.object({
  /** For the follow-ups: the interaction webhook (its token is valid 15 minutes). */
  interaction: z.object({ id: z.string().min(1), token: z.string().min(1), applicationId: z.string().min(1) }),
  /** How it was acknowledged: `reply` (deferReply, ephemeral) or `update` (deferUpdate, on the message the button is on). */
  ack: z.enum(['reply', 'update']),
  actor: actorPayload,
  place: placePayload,
  what,
});
export type InteractionPayload = z.infer<typeof interactionPayload>;

/**
 * The job for an interaction that does work (commands, context menus, buttons other than Edit, the Edit
 * modal's submission), or null for those answered at once (autocomplete, Edit opening its modal, anything
 * not ours). One interaction is one job: its id is Discord's, so a replayed INTERACTION_CREATE adds nothing.
 */
export function interactionJobFor(interaction: Interaction, botId: string | undefined): { id: string; payload: InteractionPayload } | null {
  const w = whatFor(interaction, botId);
  if (!w) return null;
  const payload: InteractionPayload = {
    interaction: { id: interaction.id, token: interaction.token, applicationId: interaction.applicationId },
    ack: w.kind === 'button' || (w.kind === 'edit' && interaction.isModalSubmit() && interaction.isFromMessage()) ? 'update' : 'reply',
    actor: interactionActor(interaction),
    place: interactionPlace(interaction),
    what: w,
  };
  return { id: `${INTERACTION_JOB}:${interaction.id}`, payload };
}

function whatFor(interaction: Interaction, botId: string | undefined): InteractionPayload['what'] | null {
  if (interaction.isChatInputCommand() && interaction.commandName === COMMAND_NAME) return { kind: 'command', command: toBotCommand(interaction) };
  if (interaction.isMessageContextMenuCommand() && (interaction.commandName === MENU_RESTYLE || interaction.commandName === MENU_SAVE)) {
    return { kind: 'menu', menu: interaction.commandName === MENU_RESTYLE ? 'restyle' : 'save', message: messageRef(interaction.targetMessage, botId) };
  }
  if (interaction.isButton() && typeof interaction.customId === 'string') {
    const m = BUTTON_ID.exec(interaction.customId);
    if (!m || m[1] === 'edit') return null;
    return { kind: 'button', action: m[1] as 'post' | 'save' | 'discard' | 'approve' | 'reject', id: m[2]! };
  }
  if (interaction.isModalSubmit() && typeof interaction.customId === 'string' && interaction.customId.startsWith(EDIT_MODAL_PREFIX)) {
    return { kind: 'edit', id: interaction.customId.slice(EDIT_MODAL_PREFIX.length), text: interaction.fields.getTextInputValue(EDIT_INPUT) };
  }
  return null;
}

/** How a queued interaction is acknowledged: the deferral Discord needs within 3 s. */
export function deferFor(interaction: Interaction, ack: InteractionPayload['ack']): () => Promise<unknown> {
  if (ack === 'update' && (interaction.isMessageComponent() || interaction.isModalSubmit())) return () => interaction.deferUpdate();
  if (interaction.isRepliable()) return () => interaction.deferReply({ flags: MessageFlags.Ephemeral });
  return () => Promise.resolve();
}

/**
 * The worker side: do the work once and answer through the interaction webhook. The reply is saved before
 * it is shown (a re-run shows the same reply, not "already used" for its own work); Post goes through
 * `Bot.postOnce` (the message ids saved before the job is done, the job's nonce on the post).
 */
export function interactionJobs(queue: JobQueue, deps: DiscordJobDeps): void {
  queue.handle<InteractionPayload>(INTERACTION_JOB, {
    parse: (payload) => interactionPayload.parse(payload),
    async run(p, job) {
      await deps.acks?.get(job.id); // its deferral, when this process is still sending it
      if (job.state.shown) return;
      let reply = job.state.reply as Reply | null | undefined;
      if (reply === undefined) {
        reply = await work(deps, p, job);
        await job.save({ reply });
      }
      await answerInteraction(deps, p, reply, job.id);
      await job.save({ shown: true });
    },
    // A deferred interaction shows "thinking…" until answered: answer it with why, rather than leave it.
    // Through the interaction only: once its token has expired Discord has told the user it failed.
    async gaveUp(p, job, reason) {
      await answerInteraction(deps, p, note(gaveUpText(WHAT[p.what.kind], reason)), `${job.id}:gave-up`, { orByDm: false });
    },
  });
}

const WHAT: Record<InteractionPayload['what']['kind'], string> = { command: 'this command', menu: 'this', button: 'this', edit: 'your edit' };

async function work(deps: DiscordJobDeps, p: InteractionPayload, job: JobContext): Promise<Reply | null> {
  const { bot } = deps;
  const { actor, place, what: w } = p;
  switch (w.kind) {
    case 'command': {
      const command = w.command as unknown as BotCommand;
      return command.kind === 'help' ? discordHelp(deps.settings) : bot.run(command, actor, place, `/${COMMAND_NAME}`);
    }
    case 'menu':
      return w.menu === 'restyle' ? bot.restyleMessage({ actor, message: w.message }) : bot.saveMessage({ actor, message: w.message });
    case 'button':
      if (w.action === 'post') return bot.postOnce({ actor, id: w.id }, { state: postState(job.state), save: (patch) => job.save(patch), job: { id: job.id } });
      return bot.press({ actor, place, action: w.action, id: w.id });
    case 'edit':
      return bot.submitEdit({ actor, id: w.id, text: w.text });
  }
}

/** What earlier attempts of a Post saved, read defensively (it may come from an older version). */
function postState(state: Readonly<Record<string, unknown>>): PostDelivery['state'] {
  const posted = Array.isArray(state.posted) ? state.posted.filter((id): id is string => typeof id === 'string') : undefined;
  return {
    ...(state.taking === true ? { taking: true } : {}),
    ...(posted ? { posted } : {}),
    ...(typeof state.style === 'string' ? { style: state.style } : {}),
  };
}

import {
  Events,
  MessageFlags,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
  type MessageContextMenuCommandInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import { styleNames } from '../../src/config/load.js';
import { isRestyleError, toRestyleError } from '../../src/errors.js';
import type { JobQueue } from '../../src/queue/types.js';
import type { PreviewAction, ReviewAction } from '../../src/bot/types.js';
import { COMMAND_NAME, MENU_RESTYLE, MENU_SAVE, STYLE_OPTION, toBotCommand } from './commands.js';
import { messageRef } from './convert.js';
import { interactionActor, interactionPlace } from './actor.js';
import { track, type DiscordDeps } from './deps.js';
import { discordError, isAlreadyAnswered } from './errors.js';
import { discordHelp } from './help.js';
import { deferFor, INTERACTION_JOB, interactionJobFor } from './interaction-job.js';
import { BUTTON_ID, EDIT_INPUT, EDIT_MODAL_PREFIX, editModal, INPUT_LIMIT } from './render.js';

/**
 * `/restyle`, its autocomplete, the context menus, the buttons and the Edit modal. Every handler answers
 * Discord first (a deferral, within its 3 s) and works after; the deferral is also the dedupe across
 * processes, because Discord accepts only one acknowledgement per interaction.
 */
export function registerInteractions(client: Client, deps: DiscordDeps): () => void {
  const listener = (interaction: Interaction): void =>
    track(deps, interactionName(interaction), async () => {
      try {
        await handle(interaction, deps);
      } catch (error) {
        await apologize(interaction, error, deps);
        throw error;
      }
    });
  client.on(Events.InteractionCreate, listener);
  return () => client.off(Events.InteractionCreate, listener);
}

/**
 * A handler that fails after deferring would leave the person looking at "thinking…" until Discord gives
 * up: tell them in one line instead (the error itself is logged by `track`). Best effort.
 */
async function apologize(interaction: Interaction, error: unknown, deps: DiscordDeps): Promise<void> {
  if (!interaction.isRepliable()) return;
  const text = `That did not work: ${isRestyleError(error) ? error.message : 'restyle could not handle this interaction (the error is in its log)'}`;
  const message = { content: text, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } } as const;
  try {
    // deferUpdate on a button (or a modal opened from one) keeps its message: do not overwrite the preview.
    const onMessage = interaction.isMessageComponent() || (interaction.isModalSubmit() && interaction.isFromMessage());
    if (interaction.deferred && !interaction.replied && !onMessage) await interaction.editReply({ content: text, allowedMentions: { parse: [] } });
    else if (interaction.deferred || interaction.replied) await interaction.followUp(message);
    else await interaction.reply(message);
  } catch (e) {
    deps.logger.debug({ err: discordError(e, 'reporting a failure').message }, 'discord: could not tell the user about a failure');
  }
}

async function handle(interaction: Interaction, deps: DiscordDeps): Promise<void> {
  if (interaction.isAutocomplete()) return autocomplete(interaction, deps);
  if (deps.queue && (await queued(interaction, deps.queue, deps))) return;
  if (interaction.isChatInputCommand() && interaction.commandName === COMMAND_NAME) return slashCommand(interaction, deps);
  if (interaction.isMessageContextMenuCommand() && (interaction.commandName === MENU_RESTYLE || interaction.commandName === MENU_SAVE)) return contextMenu(interaction, deps);
  if (interaction.isButton() && typeof interaction.customId === 'string') {
    const m = BUTTON_ID.exec(interaction.customId);
    if (m) return buttonPress(interaction, m[1] as PreviewAction | ReviewAction, m[2]!, deps);
  }
  if (interaction.isModalSubmit() && typeof interaction.customId === 'string' && interaction.customId.startsWith(EDIT_MODAL_PREFIX)) return editSubmitted(interaction, deps);
}

/**
 * Record before acknowledging: the interaction's work is queued (its id is Discord's), then deferred, then
 * done by a job (./interaction-job.ts) that answers through the interaction webhook. False for what is
 * answered at once. When the queue cannot be written the person is told so (ephemeral) instead of a
 * deferral of work that would never be done.
 */
async function queued(interaction: Interaction, queue: JobQueue, deps: DiscordDeps): Promise<boolean> {
  const job = interactionJobFor(interaction, deps.client.user?.id);
  if (!job) return false;
  const recorded = await withinBudget(queue.enqueue({ kind: INTERACTION_JOB, ...job }));
  if (recorded !== true) {
    deps.logger.warn({ err: recorded === 'late' ? `no answer within ${ACK_BUDGET_MS} ms` : toRestyleError(recorded).message, channel: job.payload.place.key }, 'discord: could not queue an interaction; telling the user');
    const content =
      recorded === 'late'
        ? // It may still be recorded and done (its answer then replaces this one); a press again makes no second post.
          "I couldn't record this in time (my work queue is not answering), so it may not be done. If nothing happens, please try again in a minute."
        : "I can't take this right now (my work queue is unavailable), so nothing was done. Please try again in a minute.";
    if (interaction.isRepliable()) await acknowledged(deps, () => interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } }));
    return true;
  }
  const ack = acknowledged(deps, deferFor(interaction, job.payload.ack)).then(() => undefined);
  deps.acks?.set(job.id, ack.catch(() => undefined));
  try {
    await ack;
  } finally {
    deps.acks?.delete(job.id);
  }
  return true;
}

/** Discord allows 3 s for the first answer: past this the user is told, rather than left with "interaction failed". */
const ACK_BUDGET_MS = 2_000;

/** True once recorded, the error when it failed, `late` when the queue did not answer within the budget. */
async function withinBudget(write: Promise<unknown>): Promise<true | 'late' | unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ACK_BUDGET_MS)));
  try {
    return await Promise.race([write.then(() => true as const), late]);
  } catch (error) {
    return error;
  } finally {
    clearTimeout(timer);
    write.catch(() => undefined);
  }
}

/** Acknowledge; false when another process (or an earlier attempt) already did, or it is too late. */
async function acknowledged(deps: DiscordDeps, ack: () => Promise<unknown>): Promise<boolean> {
  try {
    await ack();
    return true;
  } catch (error) {
    if (isAlreadyAnswered(error)) {
      deps.logger.debug({ err: discordError(error, 'acknowledging').message }, 'discord: interaction answered elsewhere or expired; skipping');
      return false;
    }
    throw error;
  }
}

async function slashCommand(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  if (!(await acknowledged(deps, () => interaction.deferReply({ flags: MessageFlags.Ephemeral })))) return;
  const command = toBotCommand(interaction);
  const reply = command.kind === 'help' ? discordHelp(deps.settings) : await deps.bot.run(command, interactionActor(interaction), interactionPlace(interaction), `/${COMMAND_NAME}`);
  await deps.shower.toDeferred(interaction, reply);
}

async function contextMenu(interaction: MessageContextMenuCommandInteraction, deps: DiscordDeps): Promise<void> {
  if (!(await acknowledged(deps, () => interaction.deferReply({ flags: MessageFlags.Ephemeral })))) return;
  const actor = interactionActor(interaction);
  const message = messageRef(interaction.targetMessage, deps.client.user?.id);
  const reply = interaction.commandName === MENU_RESTYLE ? await deps.bot.restyleMessage({ actor, message }) : await deps.bot.saveMessage({ actor, message });
  await deps.shower.toDeferred(interaction, reply);
}

async function buttonPress(interaction: ButtonInteraction, action: PreviewAction | ReviewAction, id: string, deps: DiscordDeps): Promise<void> {
  const actor = interactionActor(interaction);
  const place = interactionPlace(interaction);
  if (action === 'edit') {
    // A modal can only be the first answer, so the (one store read) use case runs before answering.
    const reply = await deps.bot.press({ actor, place, action, id });
    if (reply.kind !== 'edit') return deps.shower.toFresh(interaction, reply);
    if (reply.styled.length > INPUT_LIMIT) {
      return deps.shower.toFresh(interaction, { kind: 'text', ephemeral: true, text: `This preview is ${reply.styled.length} characters, more than Discord's editor takes (${INPUT_LIMIT}); use Post or Save.` });
    }
    await acknowledged(deps, () => interaction.showModal(editModal(reply)));
    return;
  }
  if (!(await acknowledged(deps, () => interaction.deferUpdate()))) return;
  const reply = await deps.bot.press({ actor, place, action, id });
  await deps.shower.toUpdate(interaction, reply);
}

async function editSubmitted(interaction: ModalSubmitInteraction, deps: DiscordDeps): Promise<void> {
  const fromPreview = interaction.isFromMessage();
  const ack = fromPreview ? () => interaction.deferUpdate() : () => interaction.deferReply({ flags: MessageFlags.Ephemeral });
  if (!(await acknowledged(deps, ack))) return;
  const id = interaction.customId.slice(EDIT_MODAL_PREFIX.length);
  const text = interaction.fields.getTextInputValue(EDIT_INPUT);
  const reply = await deps.bot.submitEdit({ actor: interactionActor(interaction), id, text });
  if (fromPreview) await deps.shower.toUpdate(interaction, reply);
  else await deps.shower.toDeferred(interaction, reply);
}

/** Style names for the `style` option: those containing what was typed, at most 25 (Discord's limit). */
async function autocomplete(interaction: AutocompleteInteraction, deps: DiscordDeps): Promise<void> {
  const focused = interaction.options.getFocused(true);
  if (focused.name !== STYLE_OPTION) return;
  const typed = String(focused.value).toLowerCase();
  const choices = styleNames(deps.settings)
    .filter((name) => name.toLowerCase().includes(typed))
    .sort((a, b) => Number(!a.toLowerCase().startsWith(typed)) - Number(!b.toLowerCase().startsWith(typed)) || a.localeCompare(b))
    .slice(0, 25)
    .map((name) => {
      const s = deps.settings.styles[name]!;
      return { name: `${name} — ${s.description ?? s.model}`.slice(0, 100), value: name };
    });
  await acknowledged(deps, () => interaction.respond(choices));
}

function interactionName(interaction: Interaction): string {
  if (interaction.isCommand() || interaction.isAutocomplete()) return `/${String(interaction.commandName)}`;
  if (interaction.isMessageComponent() || interaction.isModalSubmit()) return `interaction ${String(interaction.customId).split(':').slice(0, 2).join(':')}`;
  return 'interaction';
}

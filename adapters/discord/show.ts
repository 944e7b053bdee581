import { MessageFlags, type Client, type MessageComponentInteraction, type ModalSubmitInteraction, type RepliableInteraction } from 'discord.js';
import type { Reply } from '../../src/bot/types.js';
import type { Logger } from '../../src/log.js';
import { discordError } from './errors.js';
import { previewMessage, reviewMessage, textMessage, type DiscordMessage } from './render.js';

/** Nothing the bot shows a single person pings anyone (discord.js options, camelCase). */
const QUIET = { parse: [], repliedUser: false } as const;

/**
 * Renders neutral replies on Discord. Interactions get ephemeral messages: a command's deferred reply is
 * edited into the answer; a button's message is replaced when the reply says so (its buttons disappear,
 * so they cannot be used twice), else the answer is an ephemeral follow-up. Replies to gateway events
 * (reactions, mentions) have no interaction to answer, so they go to the person as a direct message.
 */
export class Shower {
  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
  ) {}

  /** Answer a command or context menu deferred with `deferReply` (ephemeral). */
  async toDeferred(interaction: RepliableInteraction, reply: Reply | null): Promise<void> {
    if (!reply) {
      await interaction.deleteReply();
      return;
    }
    await interaction.editReply({ ...render(reply), allowedMentions: QUIET });
  }

  /** Answer a button press or modal submission deferred with `deferUpdate`. */
  async toUpdate(interaction: MessageComponentInteraction | ModalSubmitInteraction, reply: Reply | null): Promise<void> {
    if (!reply) return;
    if (replaces(reply)) await interaction.editReply({ ...render(reply), allowedMentions: QUIET });
    else await interaction.followUp({ ...render(reply), flags: MessageFlags.Ephemeral, allowedMentions: QUIET });
  }

  /** Answer a button press that was not acknowledged yet (Edit, which may open a modal instead). */
  async toFresh(interaction: MessageComponentInteraction, reply: Reply): Promise<void> {
    if (replaces(reply)) await interaction.update({ ...render(reply), allowedMentions: QUIET });
    else await interaction.reply({ ...render(reply), flags: MessageFlags.Ephemeral, allowedMentions: QUIET });
  }

  /** Tell a person privately about a gateway event (a reaction they added). Best effort: DMs may be closed. */
  async direct(userId: string, reply: Reply | null): Promise<void> {
    if (!reply) return;
    try {
      const dm = await this.client.users.createDM(userId);
      await dm.send({ ...render(reply), allowedMentions: QUIET });
    } catch (error) {
      this.logger.warn({ err: discordError(error, 'direct message').message, user: userId }, 'discord: could not tell the user');
    }
  }
}

/** A final word on a button, or the next review card, takes the place of the message the button was on. */
export function replaces(reply: Reply): boolean {
  return (reply.kind === 'done' && reply.replace) || reply.kind === 'review';
}

/** A neutral reply as a Discord message body (also for the durable jobs, which answer through REST). */
export function render(reply: Reply): DiscordMessage {
  switch (reply.kind) {
    case 'preview':
      return previewMessage(reply);
    case 'review':
      return reviewMessage(reply);
    case 'edit':
      // Only a first answer can open a modal; callers open it before deferring.
      return textMessage('Press Edit again to open the editor.');
    case 'text':
    case 'done':
      return textMessage(reply.text);
  }
}

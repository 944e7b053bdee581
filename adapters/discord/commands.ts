import {
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { parseCommand, type BotCommand } from '../../src/bot/command.js';

export const COMMAND_NAME = 'restyle';
export const MENU_RESTYLE = 'Restyle message';
export const MENU_SAVE = 'Save as style sample';
/** The subcommand that restyles text (Discord cannot mix options and subcommands at the top level). */
export const TEXT_SUBCOMMAND = 'text';
export const STYLE_OPTION = 'style';
export const TEXT_OPTION = 'text';

const CONTEXTS = [InteractionContextType.Guild, InteractionContextType.BotDM];

/**
 * Everything `restyle discord register` puts in place: `/restyle` with its subcommands (style names
 * autocompleted from the config, so adding a style needs no re-registration) and the two message
 * context menus. One list, sent as a bulk overwrite, so registering again changes nothing.
 */
export function commandDefinitions(): RESTPutAPIApplicationCommandsJSONBody {
  const slash = new SlashCommandBuilder()
    .setName(COMMAND_NAME)
    .setDescription("Preview text in this channel's style, and manage the channel's style")
    .setContexts(CONTEXTS)
    .addSubcommand((s) =>
      s
        .setName(TEXT_SUBCOMMAND)
        .setDescription("Preview your text in this channel's style, then Post, Edit, Save or Discard")
        .addStringOption((o) => o.setName(TEXT_OPTION).setDescription('The text to restyle').setRequired(true).setMaxLength(4000))
        .addStringOption((o) => o.setName(STYLE_OPTION).setDescription("Another style than the channel's").setAutocomplete(true)),
    )
    .addSubcommand((s) =>
      s
        .setName('map')
        .setDescription('Use a style in this channel (Manage Server or an admin role)')
        .addStringOption((o) => o.setName(STYLE_OPTION).setDescription('The style').setRequired(true).setAutocomplete(true)),
    )
    .addSubcommand((s) => s.setName('unmap').setDescription('Stop using a style in this channel (Manage Server or an admin role)'))
    .addSubcommand((s) => s.setName('styles').setDescription('List the styles and their models'))
    .addSubcommand((s) => s.setName('status').setDescription("This channel's style, model and sample counts"))
    .addSubcommand((s) => s.setName('review').setDescription('Approve or reject saved samples (reviewers)'))
    .addSubcommand((s) => s.setName('forget').setDescription('Delete the samples and feedback you saved or wrote'))
    .addSubcommand((s) => s.setName('help').setDescription('How to use restyle'));
  const menu = (name: string) => new ContextMenuCommandBuilder().setName(name).setType(ApplicationCommandType.Message).setContexts(CONTEXTS);
  return [slash.toJSON(), menu(MENU_RESTYLE).toJSON(), menu(MENU_SAVE).toJSON()];
}

/** `/restyle <subcommand> …` as the platform-free command. `style=NAME` inside the text works as on Slack. */
export function toBotCommand(interaction: Pick<ChatInputCommandInteraction, 'options'>): BotCommand {
  const sub = interaction.options.getSubcommand();
  switch (sub) {
    case TEXT_SUBCOMMAND: {
      const text = interaction.options.getString(TEXT_OPTION, true);
      const style = interaction.options.getString(STYLE_OPTION) ?? undefined;
      if (style) return { kind: 'restyle', text, style };
      const parsed = parseCommand(text);
      return parsed.kind === 'restyle' ? parsed : { kind: 'restyle', text };
    }
    case 'map':
      return { kind: 'map', style: interaction.options.getString(STYLE_OPTION, true) };
    case 'unmap':
    case 'styles':
    case 'status':
    case 'review':
    case 'forget':
    case 'help':
      return { kind: sub };
    default:
      return { kind: 'help' };
  }
}

import { DiscordAPIError, REST, RESTJSONErrorCodes, Routes, type APIApplication, type APIApplicationCommand } from 'discord.js';
import type { Settings } from '../../src/config/load.js';
import { RestyleError } from '../../src/errors.js';
import { commandDefinitions } from './commands.js';
import { discordError } from './errors.js';

export interface RegisterResult {
  applicationId: string;
  /** The guild registered in, or undefined for global commands. */
  guildId?: string;
  /** Each command as Discord now has it, and what this run did to it. */
  commands: Array<{ name: string; type: number; id: string; change: 'new' | 'updated' | 'unchanged' }>;
  /** Commands of this application that were there before and are gone now (renamed or retired). */
  removed: string[];
}

/**
 * Put `/restyle` and the context menus in place, globally or in one guild, with one bulk overwrite: the
 * same definitions give the same commands (ids and versions kept), so running it twice changes nothing.
 */
export async function registerCommands(rest: REST, options: { applicationId: string; guildId?: string }): Promise<RegisterResult> {
  const route = options.guildId ? Routes.applicationGuildCommands(options.applicationId, options.guildId) : Routes.applicationCommands(options.applicationId);
  const before = (await rest.get(route)) as APIApplicationCommand[];
  const after = (await rest.put(route, { body: commandDefinitions() })) as APIApplicationCommand[];
  const key = (c: Pick<APIApplicationCommand, 'name' | 'type'>) => `${c.type}:${c.name}`;
  const previous = new Map(before.map((c) => [key(c), c]));
  const now = new Set(after.map(key));
  return {
    applicationId: options.applicationId,
    ...(options.guildId ? { guildId: options.guildId } : {}),
    commands: after.map((c) => {
      const old = previous.get(key(c));
      return { name: c.name, type: c.type, id: c.id, change: !old ? 'new' : old.version === c.version ? 'unchanged' : 'updated' };
    }),
    removed: before.filter((c) => !now.has(key(c))).map((c) => c.name),
  };
}

/** What `restyle discord register` does: token and application from the settings, errors worded for admins. */
export async function registerWithSettings(settings: Pick<Settings, 'discord'>, guildId?: string): Promise<RegisterResult> {
  const { botToken, clientId, apiUrl } = settings.discord;
  if (!botToken) throw new RestyleError('env_missing', 'DISCORD_BOT_TOKEN is not set: copy the bot token from the Discord developer portal (Bot → Reset Token)');
  const rest = new REST({ api: apiUrl, version: '10', retries: 1, timeout: 15_000 }).setToken(botToken);
  let applicationId = clientId;
  try {
    applicationId ??= ((await rest.get(Routes.currentApplication())) as APIApplication).id;
    return await registerCommands(rest, { applicationId, ...(guildId ? { guildId } : {}) });
  } catch (error) {
    throw refused(error, applicationId, guildId, Boolean(clientId));
  }
}

function refused(error: unknown, applicationId: string | undefined, guild: string | undefined, idFromEnv: boolean): RestyleError {
  if (error instanceof DiscordAPIError) {
    if (error.status === 401) return new RestyleError('env_missing', 'DISCORD_BOT_TOKEN was rejected by Discord (401): copy the bot token again from the developer portal', { cause: error });
    if (guild && error.code === RESTJSONErrorCodes.MissingAccess) {
      return new RestyleError('permission_denied', `Discord refused to register in server ${guild}: the bot is not in that server, or was invited without the applications.commands scope (invite URL in docs/discord.md)`, { cause: error });
    }
    if (idFromEnv && (error.status === 403 || error.status === 404)) {
      return new RestyleError('config_invalid', `Discord refused application ${applicationId}: DISCORD_CLIENT_ID must be the Application ID of the application whose bot token is DISCORD_BOT_TOKEN`, { cause: error });
    }
  }
  return discordError(error, 'command registration');
}

/** The lines `restyle discord register` prints. */
export function describeRegistration(r: RegisterResult): string {
  const where = r.guildId ? `in server ${r.guildId}` : 'globally';
  const changed = r.commands.filter((c) => c.change !== 'unchanged').length + r.removed.length;
  const lines = [`Registered ${r.commands.length} commands ${where} for application ${r.applicationId}${changed === 0 ? ' (already up to date; nothing changed)' : ''}:`];
  for (const c of r.commands) lines.push(`  ${c.type === 1 ? `/${c.name}` : `"${c.name}" (message menu)`}: ${c.change}`);
  for (const name of r.removed) lines.push(`  ${name}: removed`);
  if (!r.guildId && changed > 0) lines.push('New global commands can take a few minutes to show up in Discord clients; --guild ID shows them at once.');
  return lines.join('\n');
}

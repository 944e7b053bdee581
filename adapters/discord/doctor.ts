import type { CheckResult, DoctorCheck } from '../../src/doctor.js';
import { discordMissing } from './enabled.js';

// discord-api-types' ApplicationFlags, inlined so `restyle doctor` needs discord.js only when Discord is set up.
const MESSAGE_CONTENT = (1 << 18) | (1 << 19); // GatewayMessageContent | GatewayMessageContentLimited

/**
 * `restyle doctor`: when Discord is configured, the bot token works, DISCORD_CLIENT_ID is that bot's
 * application, the privileged Message Content intent the bot asks for is enabled (without it the gateway
 * refuses the login), and `/restyle` plus the context menus are registered.
 */
export const discordCheck: DoctorCheck = async (ctx) => {
  const { discord } = ctx.settings;
  // Half a set-up (the application id alone): Discord will not start, as `restyle bot` warns (the same words).
  const missing = discordMissing(ctx.settings);
  if (missing) return [{ status: 'fail', name: 'discord', detail: `${missing}: Discord will not start` }];
  if (!discord.botToken) return [];
  const { REST, Routes, DiscordAPIError } = await import('discord.js');
  const { COMMAND_NAME, MENU_RESTYLE, MENU_SAVE } = await import('./commands.js');
  const rest = new REST({ api: discord.apiUrl, version: '10', retries: 1, timeout: 10_000 }).setToken(discord.botToken);
  const results: CheckResult[] = [];
  let app: { id: string; name: string; flags?: number };
  try {
    const me = (await rest.get(Routes.user())) as { username: string };
    app = (await rest.get(Routes.currentApplication())) as typeof app;
    results.push({ status: 'ok', name: 'discord', detail: `token works: bot ${me.username} of application ${app.name} (${app.id})` });
  } catch (error) {
    const detail =
      error instanceof DiscordAPIError && error.status === 401
        ? 'DISCORD_BOT_TOKEN was rejected (401): copy the bot token again from the developer portal (Bot → Reset Token)'
        : `Discord API at ${discord.apiUrl}: ${error instanceof Error ? error.message : String(error)}`;
    return [{ status: 'fail', name: 'discord', detail }];
  }
  if (discord.clientId && discord.clientId !== app.id) {
    results.push({ status: 'fail', name: 'discord', detail: `DISCORD_CLIENT_ID is ${discord.clientId} but the bot token belongs to application ${app.id}: use the Application ID from the same application` });
  }
  results.push(
    ((app.flags ?? 0) & MESSAGE_CONTENT) !== 0
      ? { status: 'ok', name: 'discord intents', detail: 'Message Content intent enabled' }
      : { status: 'fail', name: 'discord intents', detail: 'the Message Content intent is off, so Discord refuses the bot\'s login: developer portal → Bot → Privileged Gateway Intents → Message Content Intent' },
  );
  try {
    const registered = new Set(((await rest.get(Routes.applicationCommands(app.id))) as Array<{ name: string }>).map((c) => c.name));
    const missing = [COMMAND_NAME, MENU_RESTYLE, MENU_SAVE].filter((n) => !registered.has(n));
    results.push(
      missing.length === 0
        ? { status: 'ok', name: 'discord commands', detail: '/restyle and the context menus are registered globally' }
        : { status: 'warn', name: 'discord commands', detail: `not registered globally: ${missing.join(', ')} — run \`restyle discord register\` (or --guild ID for one server, which this check does not see)` },
    );
  } catch (error) {
    results.push({ status: 'warn', name: 'discord commands', detail: `could not list the application's commands: ${error instanceof Error ? error.message : String(error)}` });
  }
  return results;
};

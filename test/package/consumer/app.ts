// The same app as app.mjs, as a TypeScript project compiled with `tsc --strict` (module/moduleResolution
// nodenext): the package's declarations must type every call below.
import { createRestyle, RestyleError, type AppContext, type RestyleResult } from 'restyle';
import { restyleSlack, type RestyleSlackOptions } from 'restyle/slack';
import { restyleDiscord } from 'restyle/discord';
import bolt from '@slack/bolt';
import { Client, Events, GatewayIntentBits } from 'discord.js';

const env = process.env;
const need = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`consumer: ${name} is not set`);
  return value;
};
const restyle: AppContext = await createRestyle();
const direct: RestyleResult = await restyle.restyler.restyle('Typed call.', { style: 'loud' });
if (!direct.styled) throw new RestyleError('internal', `the restyler did not style: ${direct.reason ?? 'no reason'}`);

const options: RestyleSlackOptions = { store: restyle.store };
const mw = restyleSlack(restyle.restyler, options);
const app = new bolt.App({
  token: need('SLACK_BOT_TOKEN'),
  signingSecret: 'consumer-signing-secret',
  clientOptions: { slackApiUrl: need('SLACK_API_URL'), fetch: mw.fetch, retryConfig: { retries: 0 } },
  logLevel: bolt.LogLevel.ERROR,
});
app.use(mw);
app.command('/hello', async ({ ack, say, command }) => {
  await ack();
  await say(`Hello from ${command.text}.`);
});
for (const channel of [need('SLACK_MAPPED'), need('SLACK_PLAIN')]) {
  const body = { command: '/hello', text: 'slack', channel_id: channel, user_id: 'U0CONSUMER', team_id: 'T0FAKE', api_app_id: 'A0FAKE', response_url: need('SLACK_RESPONSE_URL'), trigger_id: '1.2.3', token: 'x' };
  await app.processEvent({ body, ack: async () => {} });
}

const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: need('DISCORD_API_URL'), version: '10', retries: 0 } });
const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
await client.login(need('DISCORD_BOT_TOKEN'));
await ready;
const stop: () => void = restyleDiscord(client, restyle.restyler, { store: restyle.store });
for (const id of [need('DISCORD_MAPPED'), need('DISCORD_PLAIN')]) {
  const channel = await client.channels.fetch(id);
  if (!channel?.isSendable()) throw new Error(`discord channel ${id} is not sendable`);
  await channel.send('Hello from discord.');
}
stop();
await client.destroy();
await restyle.close();
console.log('consumer: done');

// A plain Node ESM app that installed the restyle tarball: a Bolt app and a discord.js bot, each with
// restyle's filter, posting once to a mapped and once to an unmapped channel (test/package/consumer.test.ts
// starts the fakes and checks what arrived). Everything comes from the environment the test sets.
import { createRestyle, RestyleError } from 'restyle';
import { restyleSlack } from 'restyle/slack';
import { restyleDiscord } from 'restyle/discord';
import bolt from '@slack/bolt';
import { Client, Events, GatewayIntentBits } from 'discord.js';

const env = process.env;
if (typeof RestyleError !== 'function') throw new Error('restyle exports no RestyleError');
const restyle = await createRestyle();

// Bolt: `say` in a slash command's listener, for a mapped and an unmapped channel.
const mw = restyleSlack(restyle.restyler, { store: restyle.store });
const app = new bolt.App({
  token: env.SLACK_BOT_TOKEN,
  signingSecret: 'consumer-signing-secret',
  clientOptions: { slackApiUrl: env.SLACK_API_URL, fetch: mw.fetch, retryConfig: { retries: 0 } },
  logLevel: bolt.LogLevel.ERROR,
});
app.use(mw);
app.command('/hello', async ({ ack, say, command }) => {
  await ack();
  await say(`Hello from ${command.text}.`);
});
for (const channel of [env.SLACK_MAPPED, env.SLACK_PLAIN]) {
  const body = { command: '/hello', text: 'slack', channel_id: channel, user_id: 'U0CONSUMER', team_id: 'T0FAKE', api_app_id: 'A0FAKE', response_url: env.SLACK_RESPONSE_URL, trigger_id: '1.2.3', token: 'x' };
  await app.processEvent({ body, ack: async () => {} });
}

// discord.js: `channel.send` on a client the app built itself.
const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: env.DISCORD_API_URL, version: '10', retries: 0 } });
const ready = new Promise((resolve) => client.once(Events.ClientReady, resolve));
await client.login(env.DISCORD_BOT_TOKEN);
await ready;
restyleDiscord(client, restyle.restyler, { store: restyle.store });
for (const id of [env.DISCORD_MAPPED, env.DISCORD_PLAIN]) {
  const channel = await client.channels.fetch(id);
  if (!channel?.isSendable()) throw new Error(`discord channel ${id} is not sendable`);
  await channel.send('Hello from discord.');
}
await client.destroy();
await restyle.close();
console.log('consumer: done');

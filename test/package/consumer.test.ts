/**
 * The package as another app gets it: `npm pack` (prepare → build), the tarball unpacked into a fresh project
 * outside this repository, then (a) a plain Node ESM app and (b) a TypeScript app compiled with `tsc --strict`
 * (nodenext), each running a Bolt App with `restyleSlack` and a discord.js Client with `restyleDiscord` against
 * the fake Slack, Discord and OpenAI servers. No network: the project's dependencies are links to this
 * repository's installed production dependencies (plus typescript and @types/node for the TS app), so a
 * dependency the package uses but does not declare — or tsx at run time — fails here.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { tmpDir } from '../support/tmp.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const HERE = join(import.meta.dirname, 'consumer');
const SLACK_MAPPED = 'C0MAPPED';
const SLACK_PLAIN = 'C0PLAIN';

let project: string;

/** Top-level packages this repository installs for production (package-lock.json), plus the consumer's own tools. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const names = Object.entries(lock.packages)
    .filter(([path, meta]) => path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('node_modules/') && meta.dev !== true)
    .map(([path]) => path.slice('node_modules/'.length));
  return [...new Set([...names, 'typescript', '@types/node'])];
}

beforeAll(async () => {
  const packs = tmpDir('pack');
  await run('npm', ['pack', '--pack-destination', packs, '--silent'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const tarball = readdirSync(packs).find((f) => f.endsWith('.tgz'));
  expect(tarball, 'npm pack wrote no tarball').toBeDefined();

  project = tmpDir('consumer');
  const installed = join(project, 'node_modules', 'restyle');
  mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', join(packs, tarball!), '-C', installed, '--strip-components=1']);
  for (const name of productionPackages()) {
    const link = join(project, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { restyle: `file:${tarball}` } }));
  mkdirSync(join(project, 'config'));
  writeFileSync(
    join(project, 'config', 'restyle.yaml'),
    [`styles:`, `  loud: {model: loud-1}`, `channels:`, `  "slack:${SLACK_MAPPED}": loud`, `  "discord:DISCORD_MAPPED": loud`, `restyle: {maxRetries: 0, cacheTtlSeconds: 0}`, ''].join('\n'),
  );
}, 600_000);

interface Fakes {
  model: FakeOpenAI;
  slack: FakeSlack;
  discord: FakeDiscord;
  env: Record<string, string>;
}
let fakes: Fakes | undefined;

async function startFakes(dataDir: string): Promise<Fakes> {
  const model = await startFakeOpenAI({ responder: (body) => String(body.messages.at(-1).content).toUpperCase() });
  const slack = await startFakeSlack();
  const discord = await startFakeDiscord();
  const guild = discord.addGuild({ name: 'Consumer' });
  const mapped = await discord.addChannel(guild.id, { name: 'mapped' });
  const plain = await discord.addChannel(guild.id, { name: 'plain' });
  // The config maps the Discord channel by id, known only now.
  const configFile = join(dataDir, 'restyle.yaml');
  writeFileSync(configFile, readFileSync(join(project, 'config', 'restyle.yaml'), 'utf8').replace('DISCORD_MAPPED', mapped.id));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    RESTYLE_CONFIG: configFile,
    RESTYLE_DATA_DIR: dataDir,
    OPENAI_API_KEY: 'sk-consumer',
    OPENAI_BASE_URL: model.url,
    SLACK_BOT_TOKEN: 'xoxb-consumer',
    SLACK_API_URL: slack.url,
    SLACK_RESPONSE_URL: slack.responseUrl(),
    SLACK_MAPPED,
    SLACK_PLAIN,
    DISCORD_API_URL: discord.url,
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_MAPPED: mapped.id,
    DISCORD_PLAIN: plain.id,
  };
  return { model, slack, discord, env };
}

afterEach(async () => {
  if (!fakes) return;
  await fakes.slack.close();
  await fakes.discord.close();
  await fakes.model.close();
  fakes = undefined;
});

/** What the consumer app posted: styled where the channel is mapped, as written elsewhere. */
function expectStyledPosts(f: Fakes): void {
  const slackPosts = f.slack.callsTo('chat.postMessage').map((c) => [c.args.channel, c.args.text]);
  expect(slackPosts).toEqual([
    [SLACK_MAPPED, 'HELLO FROM SLACK.'],
    [SLACK_PLAIN, 'Hello from slack.'],
  ]);
  expect(f.discord.posted(f.env.DISCORD_MAPPED).map((m) => m.content)).toEqual(['HELLO FROM DISCORD.']);
  expect(f.discord.posted(f.env.DISCORD_PLAIN).map((m) => m.content)).toEqual(['Hello from discord.']);
}

describe('the packed package in a fresh project', () => {
  it('(a) a plain Node ESM app: Bolt + restyleSlack and discord.js + restyleDiscord post styled text', async () => {
    fakes = await startFakes(tmpDir('consumer-data'));
    copyFileSync(join(HERE, 'app.mjs'), join(project, 'app.mjs'));
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: project, env: fakes.env });
    expect(stdout).toContain('consumer: done');
    expectStyledPosts(fakes);
  }, 300_000);

  it('(b) a TypeScript app compiled with tsc --strict (nodenext) does the same', async () => {
    fakes = await startFakes(tmpDir('consumer-data'));
    const dir = join(project, 'ts');
    mkdirSync(join(dir, 'src'), { recursive: true });
    copyFileSync(join(HERE, 'app.ts'), join(dir, 'src', 'app.ts'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', outDir: 'out', rootDir: 'src', types: ['node'], skipLibCheck: true }, include: ['src'] }),
    );
    await run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc --strict failed on the consumer app:\n${error.stdout ?? String(error)}`);
    });
    const { stdout } = await run(process.execPath, [join(dir, 'out', 'app.js')], { cwd: project, env: fakes.env });
    expect(stdout).toContain('consumer: done');
    expectStyledPosts(fakes);
    // The typed direct call went to the model too.
    expect(fakes.model.requests.some((r) => JSON.stringify(r.body).includes('Typed call.'))).toBe(true);
  }, 300_000);

  it('installs a `restyle` command that runs the compiled code, without tsx', async () => {
    const { stdout } = await run(process.execPath, [join(project, 'node_modules', 'restyle', 'bin', 'restyle.js'), '--help'], { cwd: project, env: { PATH: process.env.PATH ?? '' } });
    expect(stdout).toContain('Usage: restyle');
    await expect(run(process.execPath, ['--input-type=module', '-e', "await import('tsx')"], { cwd: project })).rejects.toThrow(/Cannot find package 'tsx'/);
  }, 60_000);
});

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiKeyRequired, loadConfig, getStyle, requireApiKey, DEFAULT_STYLE_PROMPT } from '../../src/config/index.js';
import { secretsOf, settingsFrom } from '../../src/config/load.js';
import { readEnvFile } from '../../src/config/env.js';
import { RestyleError } from '../../src/errors.js';

const dirs: string[] = [];
function project(yaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'restyle-config-'));
  dirs.push(dir);
  if (yaml !== undefined) {
    writeFileSync(join(dir, 'restyle.yaml'), yaml);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function errorOf(fn: () => unknown): RestyleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RestyleError);
    return error as RestyleError;
  }
  throw new Error('expected an error');
}

/** What a user does to the shipped file: delete the `# ` in front of every commented setting, in place. */
function uncomment(yaml: string): string {
  return yaml
    .split('\n')
    .map((line) => (/^( *)# ( *)(?:# )?( *)([\w-]+|"[^"]+"):/.test(line) ? line.replace(/^( *)# ( *)(?:# )?/, '$1$2') : line))
    .join('\n');
}

// A copy of config/restyle.yaml as shipped (see test/fixtures/config/SOURCES.md): the real file is the
// user's to edit, so a test reading it would fail as soon as someone adds a style.
describe('the shipped config/restyle.yaml (test/fixtures/config copy)', () => {
  const shipped = readFileSync(resolve(import.meta.dirname, '../fixtures/config/restyle.yaml'), 'utf8');

  it('loads as it is', () => {
    const settings = loadConfig({ env: {}, path: join(project(shipped), 'restyle.yaml') });
    expect(Object.keys(settings.styles)).toEqual([]);
    expect(settings.channels).toEqual({});
  });

  it('uncommenting every example in place loads: no duplicate keys, and the examples are real settings', () => {
    const yaml = uncomment(shipped);
    expect(yaml).toMatch(/^bot:/m);
    expect(yaml).toMatch(/^ {2}pirate:/m);
    const settings = loadConfig({ env: { OPENAI_API_KEY: 'sk-x' }, path: join(project(yaml), 'restyle.yaml') });
    expect(Object.keys(settings.styles).sort()).toEqual(['default', 'pirate']);
    expect(settings.styles.pirate!.endpoint.baseUrl).toBe('http://localhost:11434/v1');
    expect(settings.channels['slack:C0123ABC']).toBe('pirate');
    expect(settings.eval.styles.pirate?.minStyleAccuracy).toBe(0.9);
    expect(settings.bot.allowChannels).toEqual(['slack:C0123ABC']);
  });

  it('uncommenting only the pirate style loads it alone', () => {
    const lines = shipped.split('\n');
    const from = lines.findIndex((l) => l === '  # pirate:');
    const to = lines.findIndex((l) => l.startsWith('  # default:'));
    const yaml = [...lines.slice(0, from), ...uncomment(lines.slice(from, to).join('\n')).split('\n'), ...lines.slice(to)].join('\n');
    const settings = loadConfig({ env: { OPENAI_API_KEY: 'sk-x' }, path: join(project(yaml), 'restyle.yaml') });
    expect(Object.keys(settings.styles)).toEqual(['pirate']);
  });
});

describe('loadConfig', () => {
  it('works with no config file at the default path: no styles, defaults filled', () => {
    const cwd = project();
    const s = loadConfig({ env: {}, cwd });
    expect(s.configFound).toBe(false);
    expect(s.styles).toEqual({});
    expect(s.restyle.maxChars).toBe(40_000);
    expect(s.store.sqlitePath).toBe(join(cwd, 'data', 'restyle.sqlite'));
    expect(s.store.redisUrl).toBeUndefined();
    expect(s.http.port).toBe(3000);
  });

  it('resolves a style with defaults and per-style endpoints and keys from the environment', () => {
    const cwd = project(`
styles:
  pirate:
    model: ft:pirate
    params: {tone: playful}
  local:
    model: llama3
    baseUrl: http://localhost:11434/v1/
    apiKeyEnv: OLLAMA_KEY
channels:
  "slack:C0123ABC": pirate
`);
    const s = loadConfig({ env: { OPENAI_API_KEY: 'sk-main', OLLAMA_KEY: 'ollama', RESTYLE_CONFIG: 'restyle.yaml' }, cwd });
    expect(s.styles.pirate!.prompt).toBe(DEFAULT_STYLE_PROMPT);
    expect(s.styles.pirate!.params).toEqual({ tone: 'playful' });
    expect(s.styles.pirate!.endpoint).toEqual({ baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-main', apiKeyEnv: 'OPENAI_API_KEY' });
    expect(s.styles.local!.endpoint).toEqual({ baseUrl: 'http://localhost:11434/v1', apiKey: 'ollama', apiKeyEnv: 'OLLAMA_KEY' });
    expect(s.channels).toEqual({ 'slack:C0123ABC': 'pirate' });
  });

  it('an empty section (all its entries commented out) means none yet', () => {
    const cwd = project('styles:\n  # pirate:\n  #   model: x\nchannels:\n');
    expect(loadConfig({ env: {}, path: 'restyle.yaml', cwd }).styles).toEqual({});
  });

  it('names the file and the field for a missing model', () => {
    const cwd = project('styles:\n  pirate:\n    prompt: hi\n');
    const e = errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd }));
    expect(e.code).toBe('config_invalid');
    expect(e.message).toBe('restyle.yaml: styles.pirate.model: required');
    expect(e.exitCode).toBe(2);
  });

  it('names line and column for broken YAML', () => {
    const cwd = project('styles:\n  pirate:\n    model: [unclosed\n');
    const e = errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd }));
    expect(e.code).toBe('config_invalid');
    expect(e.message).toMatch(/^restyle\.yaml:\d+:\d+: /);
  });

  it('rejects unknown keys (typos) by name', () => {
    const cwd = project('styles:\n  pirate:\n    modle: x\n    model: y\n');
    const e = errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd }));
    expect(e.message).toBe('restyle.yaml: styles.pirate: unknown key "modle" (did you mean "model"?)');
  });

  it('names the key a typo most likely meant, at any depth, and only when one is close', () => {
    const message = (yaml: string): string => errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd: project(yaml) })).message;
    expect(message('stlyes: {}\n')).toBe('restyle.yaml: unknown key "stlyes" (did you mean "styles"?)');
    expect(message('llm:\n  concurency: 3\n')).toBe('restyle.yaml: llm: unknown key "concurency" (did you mean "concurrency"?)');
    expect(message('bot:\n  answer:\n    maxchars: 3\n')).toBe('restyle.yaml: bot.answer: unknown key "maxchars" (did you mean "maxChars"?)');
    expect(message('styles:\n  pirate:\n    model: x\n    Prompt: y\n')).toBe('restyle.yaml: styles.pirate: unknown key "Prompt" (did you mean "prompt"?)');
    // Nothing near: named as it is.
    expect(message('styles:\n  pirate:\n    model: x\n    colour: y\n')).toBe('restyle.yaml: styles.pirate: unknown key "colour"');
    expect(message('foo: 1\n')).toBe('restyle.yaml: unknown key "foo"');
    // Cut short: the one key it begins.
    expect(message('styles:\n  pirate:\n    model: x\n    apiKey: sk-not-shown\n')).toBe('restyle.yaml: styles.pirate: unknown key "apiKey" (did you mean "apiKeyEnv"?)');
  });

  it('rejects a channel mapped to an unknown style, listing the known ones', () => {
    const cwd = project('styles:\n  pirate: {model: x}\nchannels:\n  "slack:C1": ninja\n');
    const e = errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd }));
    expect(e.message).toBe('restyle.yaml: channels.slack:C1: unknown style "ninja" (known: pirate)');
  });

  it('a channel mapped to a name from Object.prototype is an unknown style; getStyle refuses such names', () => {
    const cwd = project('styles:\n  pirate: {model: x}\nchannels:\n  "slack:C1": constructor\n');
    expect(errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd })).message).toBe('restyle.yaml: channels.slack:C1: unknown style "constructor" (known: pirate)');
    const settings = loadConfig({ env: {}, path: 'restyle.yaml', cwd: project('styles:\n  pirate: {model: x}\n') });
    for (const name of ['constructor', 'toString', '__proto__']) expect(() => getStyle(settings, name)).toThrow(`unknown style "${name}"`);
  });

  it('rejects malformed channel keys and bad URLs', () => {
    const cwd = project('styles:\n  p: {model: x, baseUrl: "not a url"}\n');
    expect(errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd })).message).toMatch(/styles\.p\.baseUrl: must be an http:\/\/ or https:\/\/ URL/);
    const cwd2 = project('styles:\n  p: {model: x}\nchannels:\n  C123: p\n');
    expect(errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd: cwd2 })).message).toMatch(/channels\.C123: channel keys look like/);
  });

  it('a Slack channel key typed in lower case is read as Slack writes its ids (upper case)', () => {
    const settings = settingsFrom({ styles: { p: { model: 'x' } }, channels: { 'slack:c0123abc': 'p', 'discord:112233': 'p' } }, {});
    expect(settings.channels).toEqual({ 'slack:C0123ABC': 'p', 'discord:112233': 'p' });
  });

  it('so is every other Slack id the file names: admins, reviewers, allowChannels, allowBroadcast', () => {
    const settings = settingsFrom(
      { styles: { p: { model: 'x' } }, bot: { admins: ['slack:u01admin', 'discord:42'], reviewers: ['slack:w02rev'], allowChannels: ['slack:c0123abc'] }, safety: { allowBroadcast: ['slack:c0123abc', 'discord:7'] } },
      {},
    );
    expect(settings.bot).toMatchObject({ admins: ['slack:U01ADMIN', 'discord:42'], reviewers: ['slack:W02REV'], allowChannels: ['slack:C0123ABC'] });
    expect(settings.safety.allowBroadcast).toEqual(['slack:C0123ABC', 'discord:7']);
    expect(settingsFrom({ styles: { p: { model: 'x' } } }, {}).bot.allowChannels).toBeUndefined();
  });

  it('two spellings of one Slack channel are a config error naming both, not the last one winning unsaid', () => {
    const cwd = project('styles:\n  p: {model: x}\n  q: {model: y}\nchannels:\n  slack:C0123ABC: p\n  slack:c0123abc: q\n  discord:C1: p\n  discord:c1: q\n');
    const e = errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd }));
    expect(e).toMatchObject({ code: 'config_invalid', message: 'restyle.yaml: channels.slack:c0123abc: names the same Slack channel as "slack:C0123ABC" (Slack ids are upper case); keep one' });
  });

  it('a folder named as the config file is a config error naming it, not a raw EISDIR', () => {
    const cwd = project();
    mkdirSync(join(cwd, 'config'));
    const e = errorOf(() => loadConfig({ env: {}, path: 'config', cwd }));
    expect(e).toMatchObject({ code: 'config_invalid', message: 'config: is a folder, where a file was expected (EISDIR on read)' });
  });

  it('an explicitly named config file that does not exist is an error naming it', () => {
    const cwd = project();
    const e = errorOf(() => loadConfig({ env: {}, path: 'nope.yaml', cwd }));
    expect(e.code).toBe('config_not_found');
    expect(e.message).toBe('nope.yaml: config file not found');
  });

  it('validates environment values: PORT and REDIS_URL', () => {
    const cwd = project();
    expect(errorOf(() => loadConfig({ env: { PORT: 'abc' }, cwd })).message).toMatch(/^PORT: /);
    expect(errorOf(() => loadConfig({ env: { REDIS_URL: 'localhost:6379' }, cwd })).message).toMatch(/^REDIS_URL: /);
    expect(loadConfig({ env: { REDIS_URL: 'redis://127.0.0.1:1', RESTYLE_DATA_DIR: '/tmp/x' }, cwd }).store).toMatchObject({
      redisUrl: 'redis://127.0.0.1:1',
      dataDir: '/tmp/x',
    });
  });

  it('environment values as copied into env files: spaces around them and one pair of quotes are not part of them', () => {
    const cwd = project();
    const settings = loadConfig({ env: { OPENAI_BASE_URL: ' "http://127.0.0.1:9/v1" ', OPENAI_API_KEY: "'sk-quoted'", RESTYLE_DATA_DIR: 'data ', SLACK_BOT_TOKEN: 'xoxb-1\n', LOG_LEVEL: 'DEBUG ' }, cwd });
    expect(settings.openai).toMatchObject({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-quoted' });
    expect(settings.store.dataDir).toBe(join(cwd, 'data'));
    expect(settings.slack.botToken).toBe('xoxb-1');
    expect(settings.logLevel).toBe('debug');
    // A quote inside a value is kept: only a matching pair around it goes.
    expect(loadConfig({ env: { OPENAI_API_KEY: 'sk-"x' }, cwd }).openai.apiKey).toBe('sk-"x');
  });

  it('a blank RESTYLE_CONFIG (quotes or spaces only) is unset, not the current folder', () => {
    const cwd = project();
    expect(loadConfig({ env: { RESTYLE_CONFIG: ' "" ' }, cwd }).configPath).toBe('config/restyle.yaml');
  });

  it('LOG_LEVEL must be one of pino\'s levels, named in the error', () => {
    const e = errorOf(() => loadConfig({ env: { LOG_LEVEL: 'verbose' }, cwd: project() }));
    expect(e.message).toBe('LOG_LEVEL: "verbose" is not a log level; use one of fatal, error, warn, info, debug, trace, silent');
  });

  it('a .env saved with a byte-order mark keeps its first variable', () => {
    const cwd = project();
    writeFileSync(join(cwd, '.env'), '\uFEFFOPENAI_API_KEY=sk-bom\nOPENAI_BASE_URL=http://127.0.0.1:9/v1\n');
    expect(readEnvFile(join(cwd, '.env'))).toEqual({ OPENAI_API_KEY: 'sk-bom', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
  });

  it('a value of the wrong type says what was expected, not "required"', () => {
    const cwd = project('restyle:\n  deadlineMs: fast\nllm:\n  rpm: "10"\n');
    // Both problems, on one line, so one edit fixes the file.
    expect(errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd })).message).toBe('restyle.yaml: restyle.deadlineMs: expected a number, got "fast"; llm.rpm: expected a number, got "10"');
    const cwd2 = project('styles:\n  p: {model: [a, b]}\n');
    expect(errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd: cwd2 })).message).toBe('restyle.yaml: styles.p.model: expected text, got a list');
  });

  it('a misspelt key is named first, before the "required" it causes; past five problems the rest are counted', () => {
    const cwd = project('styles:\n  pirate:\n    modle: pirate-1\n');
    const e = errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd }));
    expect(e.message).toBe('restyle.yaml: styles.pirate: unknown key "modle" (did you mean "model"?); styles.pirate.model: required');
    expect(e.details).toMatchObject({ field: 'styles.pirate', issues: ['styles.pirate: unknown key "modle" (did you mean "model"?)', 'styles.pirate.model: required'] });
    const many = project(`styles:\n${Array.from({ length: 7 }, (_, i) => `  s${i}: {model: [x]}\n`).join('')}`);
    const parts = errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd: many })).message.split('; ');
    expect(parts).toHaveLength(6);
    expect(parts.at(-1)).toBe('… and 2 more');
  });

  it('base URLs are http(s): OPENAI_BASE_URL and a style\'s baseUrl are refused at start, the variable\'s value not echoed', () => {
    const cwd = project('styles:\n  p: {model: x}\n');
    const e = errorOf(() => loadConfig({ env: { OPENAI_BASE_URL: 'ftp://user:hunter2@models.example' }, path: 'restyle.yaml', cwd }));
    expect(e).toMatchObject({ code: 'config_invalid', message: 'OPENAI_BASE_URL: must be an http:// or https:// URL such as http://localhost:11434/v1' });
    expect(JSON.stringify(e.details)).not.toContain('hunter2');
    const style = project('styles:\n  p: {model: x, baseUrl: "file:///etc/passwd"}\n');
    expect(errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd: style })).message).toBe('restyle.yaml: styles.p.baseUrl: must be an http:// or https:// URL such as http://localhost:11434/v1');
  });

  it('a base URL with a user name or password is refused: it would be printed in errors, logs and API answers', () => {
    const cwd = project('styles:\n  p: {model: x}\n');
    const e = errorOf(() => loadConfig({ env: { OPENAI_BASE_URL: 'http://user:hunter2@127.0.0.1:9/v1' }, path: 'restyle.yaml', cwd }));
    expect(e.message).toMatch(/^OPENAI_BASE_URL: must not carry a user name or password \(they would show in errors and logs\)/);
    expect(`${e.message}${JSON.stringify(e.details)}`).not.toContain('hunter2');
    const style = project('styles:\n  p: {model: x, baseUrl: "https://me:hunter2@models.example/v1"}\n');
    const s = errorOf(() => loadConfig({ env: {}, path: 'restyle.yaml', cwd: style }));
    expect(s.message).toMatch(/^restyle\.yaml: styles\.p\.baseUrl: must not carry a user name or password/);
    expect(s.message).not.toContain('hunter2');
  });

  it('getStyle lists known styles; requireApiKey names the variable, not a value', () => {
    const cwd = project('styles:\n  b: {model: x}\n  a: {model: y}\n');
    const s = loadConfig({ env: {}, path: 'restyle.yaml', cwd });
    const e = errorOf(() => getStyle(s, 'zzz'));
    expect(e.code).toBe('style_unknown');
    expect(e.message).toBe('unknown style "zzz"; known styles: a, b');
    const k = errorOf(() => requireApiKey(s.styles.a!.endpoint));
    expect(k.code).toBe('env_missing');
    expect(k.message).toMatch(/^OPENAI_API_KEY is not set/);
  });

  it('a base URL that is not OpenAI\'s is enough (keyless Ollama, vLLM), unless the config names a key variable', () => {
    const cwd = project('styles:\n  local: {model: llama3}\n  named: {model: x, baseUrl: "http://localhost:8000/v1", apiKeyEnv: VLLM_KEY}\n');
    const s = loadConfig({ env: { OPENAI_BASE_URL: 'http://localhost:11434/v1' }, path: 'restyle.yaml', cwd });
    expect(apiKeyRequired(s.styles.local!.endpoint)).toBe(false);
    expect(requireApiKey(s.styles.local!.endpoint)).toBe('no-key');
    expect(errorOf(() => requireApiKey(s.styles.named!.endpoint)).message).toMatch(/^VLLM_KEY is not set/);
    const openai = loadConfig({ env: { OPENAI_BASE_URL: 'https://api.openai.com/v1/' }, path: 'restyle.yaml', cwd });
    expect(apiKeyRequired(openai.styles.local!.endpoint)).toBe(true);
  });
});

describe('secretsOf', () => {
  it('lists every key and token the settings hold, style endpoints and proxy tokens included, once each', () => {
    const settings = settingsFrom(
      {
        styles: { pirate: { model: 'p-1', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'TOGETHER_KEY' }, plain: { model: 'x-1' } },
        proxy: { apiKeyEnv: 'UPSTREAM_KEY', tokens: { APP_TOKEN: 'pirate' } },
      },
      { OPENAI_API_KEY: 'sk-default', TOGETHER_KEY: 'tg-secret', UPSTREAM_KEY: 'up-secret', APP_TOKEN: 'app-secret', SLACK_BOT_TOKEN: 'xoxb-1', RESTYLE_API_TOKEN: 'api-secret' },
    );
    expect(secretsOf(settings).sort()).toEqual(['api-secret', 'app-secret', 'sk-default', 'tg-secret', 'up-secret', 'xoxb-1']);
  });
});

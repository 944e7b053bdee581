import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RestyleError } from '../errors.js';
import { decodeSlack } from '../restyle/slack-text.js';
import type { SourceDoc } from './source.js';
import { ZipReader, type ZipLimits } from './zip.js';

/**
 * Chat exports as corpus input. A Slack channel-day file is one document for the train/valid split, and
 * so is one day of a Discord channel; each message keeps its ts/id as provenance. `author` keeps one
 * person's messages (Slack user id or name from users.json; Discord user id, name or nickname). Bots,
 * joins, pins and other system messages are left out: they are not anyone's voice.
 */
interface SlackMessage {
  type?: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
}

interface SlackUser {
  id?: string;
  name?: string;
  real_name?: string;
  profile?: { display_name?: string; real_name?: string };
}

const SLACK_TOP_FILES = ['channels.json', 'users.json', 'groups.json', 'dms.json', 'mpims.json', 'integration_logs.json'];
const SLACK_KEEP_SUBTYPES = new Set([undefined, 'thread_broadcast', 'me_message']);
const SLACK_DAY = /^\d{4}-\d{2}-\d{2}\.json$/;

/** A Slack export folder (channels.json / users.json beside channel/YYYY-MM-DD.json folders). */
export function isSlackExportDir(path: string): boolean {
  try {
    return statSync(path).isDirectory() && readdirSync(path).some((f) => SLACK_TOP_FILES.includes(f));
  } catch {
    return false;
  }
}

interface ExportFile {
  /** `channel/day.json`, relative to the export root. */
  name: string;
  read: () => string;
}

/** The channel-day files of a Slack export folder or .zip, sorted, plus users.json when present. */
function slackFiles(path: string, shown: string, zipLimits?: ZipLimits): { days: ExportFile[]; users: string | undefined; close: () => void } {
  if (path.toLowerCase().endsWith('.zip')) {
    let zip: ZipReader;
    try {
      zip = ZipReader.open(path, shown, zipLimits);
    } catch (error) {
      if (error instanceof RestyleError) throw error;
      throw new RestyleError('file_invalid', `${shown}: not a readable zip (${(error as Error).message})`, { details: { file: shown } });
    }
    try {
      // Entries are unpacked one at a time as the days are read, each checked against the zip limits.
      const byName = new Map(zip.entries.filter((e) => e.name.endsWith('.json')).map((e) => [e.name, e]));
      const names = [...byName.keys()].sort();
      // Some exports are zipped with a top folder ("Acme Slack export/channels.json").
      const top = names.find((n) => SLACK_TOP_FILES.includes(n.split('/').at(-1)!));
      const prefix = top ? top.slice(0, top.lastIndexOf('/') + 1) : '';
      const days = names
        .filter((n) => n.startsWith(prefix) && SLACK_DAY.test(n.split('/').at(-1)!) && n.slice(prefix.length).split('/').length === 2)
        .map((n) => ({ name: n.slice(prefix.length), read: () => zip.readText(byName.get(n)!) }));
      if (days.length === 0 && !top) throw new RestyleError('file_invalid', `${shown}: not a Slack export (no channels.json or channel/YYYY-MM-DD.json inside)`, { details: { file: shown } });
      const usersEntry = byName.get(`${prefix}users.json`);
      return { days, users: usersEntry ? zip.readText(usersEntry) : undefined, close: () => zip.close() };
    } catch (error) {
      zip.close();
      throw error;
    }
  }
  const days: ExportFile[] = [];
  for (const channel of readdirSync(path).sort()) {
    const dir = join(path, channel);
    if (channel.startsWith('.') || !statSync(dir).isDirectory()) continue;
    for (const day of readdirSync(dir).sort()) {
      if (SLACK_DAY.test(day)) days.push({ name: `${channel}/${day}`, read: () => readFileSync(join(dir, day), 'utf8') });
    }
  }
  const usersFile = join(path, 'users.json');
  let users: string | undefined;
  try {
    users = readFileSync(usersFile, 'utf8');
  } catch {
    users = undefined;
  }
  return { days, users, close: () => {} };
}

/** users.json, parsed (a missing file is no users; a broken one is an error naming it). */
function parseUsers(usersJson: string | undefined, shown: string): SlackUser[] {
  if (!usersJson) return [];
  let users: unknown;
  try {
    users = JSON.parse(usersJson);
  } catch (error) {
    throw new RestyleError('file_invalid', `${shown}/users.json: not valid JSON (${(error as Error).message})`, { details: { file: `${shown}/users.json` } });
  }
  return Array.isArray(users) ? (users as SlackUser[]) : [];
}

/** The Slack user ids an `--author` value names: the id itself, or whoever has that name in users.json. */
function slackAuthorIds(author: string, users: readonly SlackUser[]): Set<string> {
  const ids = new Set([author]);
  const wanted = author.replace(/^@/, '').toLowerCase();
  for (const u of users) {
    const names = [u.name, u.real_name, u.profile?.display_name, u.profile?.real_name].filter(Boolean).map((n) => n!.toLowerCase());
    if (u.id && names.includes(wanted)) ids.add(u.id);
  }
  return ids;
}

/** Each user's name as Slack shows it: display name, else real name, else handle. */
function slackNames(users: readonly SlackUser[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const u of users) {
    const name = u.profile?.display_name || u.profile?.real_name || u.real_name || u.name;
    if (u.id && name) names.set(u.id, name);
  }
  return names;
}

/**
 * The messages of a Slack export folder or .zip. The export is opened (and a zip that is not one rejected)
 * when this is called; the channel-day files are parsed one at a time as the result is iterated.
 */
export function readSlackExport(path: string, shown: string, author?: string, zipLimits?: ZipLimits): Iterable<SourceDoc> {
  const { days, users: usersJson, close } = slackFiles(path, shown, zipLimits);
  try {
    const users = parseUsers(usersJson, shown);
    const authors = author ? slackAuthorIds(author, users) : undefined;
    return slackMessages(days, shown, { authors, names: slackNames(users) }, close);
  } catch (error) {
    close();
    throw error;
  }
}

interface People {
  /** Keep only these user ids (`--author`). */
  authors: Set<string> | undefined;
  /** Display names by user id. */
  names: Map<string, string>;
}

function* slackMessages(days: readonly ExportFile[], shown: string, people: People, close: () => void): Generator<SourceDoc> {
  try {
    yield* slackDays(days, shown, people);
  } finally {
    close();
  }
}

function* slackDays(days: readonly ExportFile[], shown: string, { authors, names }: People): Generator<SourceDoc> {
  for (const f of days) {
    const id = `${shown}/${f.name}`;
    let messages: unknown;
    const raw = f.read();
    try {
      messages = JSON.parse(raw);
    } catch (error) {
      throw new RestyleError('file_invalid', `${id}: not valid JSON (${(error as Error).message})`, { details: { file: id } });
    }
    if (!Array.isArray(messages)) throw new RestyleError('file_invalid', `${id}: expected a list of messages`, { details: { file: id } });
    for (const m of messages as SlackMessage[]) {
      if (m?.type !== 'message' || !SLACK_KEEP_SUBTYPES.has(m.subtype) || m.bot_id || typeof m.text !== 'string' || m.text.trim() === '') continue;
      if (authors && !(m.user && authors.has(m.user))) continue;
      const at = slackTime(m.ts);
      yield { id, key: `slack:${f.name.replace(/\.json$/, '')}`, ref: m.ts ?? '', ...(m.user ? { author: `slack:${m.user}` } : {}), ...(m.user && names.has(m.user) ? { authorName: names.get(m.user)! } : {}), ...(at ? { at } : {}), text: decodeSlack(m.text) };
    }
  }
}

/** A Slack ts (`1700000000.000100`, seconds) as an ISO date, or undefined. */
function slackTime(ts: string | undefined): string | undefined {
  const seconds = Number(ts);
  return ts && Number.isFinite(seconds) && seconds > 0 ? new Date(Math.floor(seconds * 1000)).toISOString() : undefined;
}

interface DiscordMessage {
  id?: string;
  type?: string;
  timestamp?: string;
  content?: string;
  author?: { id?: string; name?: string; nickname?: string; isBot?: boolean };
}

export interface DiscordExport {
  channel: { id?: string; name?: string };
  messages: DiscordMessage[];
}

/** A DiscordChatExporter JSON export (`{guild, channel, messages: [...]}`), or null. */
export function parseDiscordExport(raw: unknown): DiscordExport | null {
  const d = raw as Partial<DiscordExport> | null;
  return d && typeof d === 'object' && Array.isArray(d.messages) && typeof d.channel === 'object' && d.channel !== null ? (d as DiscordExport) : null;
}

/** People's messages of one export; each UTC day of the channel is one document (`file#YYYY-MM-DD`). */
export function* readDiscordExport(data: DiscordExport, shown: string, author?: string): Generator<SourceDoc> {
  const wanted = author?.replace(/^@/, '').toLowerCase();
  for (const m of data.messages) {
    if (m.author?.isBot) continue;
    if (m.type && !['Default', 'Reply'].includes(m.type)) continue;
    if (typeof m.content !== 'string' || m.content.trim() === '') continue;
    if (wanted && m.author?.id !== author && m.author?.name?.toLowerCase() !== wanted && m.author?.nickname?.toLowerCase() !== wanted) continue;
    const at = typeof m.timestamp === 'string' ? Date.parse(m.timestamp) : NaN;
    const day = Number.isNaN(at) ? undefined : new Date(at).toISOString().slice(0, 10);
    const channel = data.channel.id ?? data.channel.name;
    yield { id: day ? `${shown}#${day}` : shown, ...(channel ? { key: `discord:${channel}#${day ?? ''}` } : {}), ref: m.id ?? '', ...(m.author?.id ? { author: `discord:${m.author.id}` } : {}), ...(m.author?.nickname || m.author?.name ? { authorName: (m.author.nickname || m.author.name)! } : {}), ...(Number.isNaN(at) ? {} : { at: new Date(at).toISOString() }), text: m.content };
  }
}

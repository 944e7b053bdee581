import { RestyleError } from '../errors.js';

const FENCE = /^\s*(```+|~~~+)(.*)$/;
/** Room kept at the end of a part for the fence that closes it. */
const CLOSE_ROOM = 8;

/**
 * Split a long message into parts of at most `limit` characters (Slack: 3,900 for readable messages;
 * Discord: 2,000). Cuts at a paragraph break, else a line break, else a space, else hard; a code fence cut
 * in two is closed at the end of one part and reopened (same language) at the start of the next.
 *
 * @example
 * splitMessage(answer, 2000).forEach((part) => channel.send(part));
 */
export function splitMessage(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 40) throw new RestyleError('input_invalid', `split limit must be an integer ≥ 40, got ${limit}`);
  const parts: string[] = [];
  let rest = text;
  let reopen = '';
  while (rest.length > 0) {
    const body = reopen + rest;
    if (body.length <= limit) {
      parts.push(body);
      break;
    }
    const cut = cutPoint(body, limit - CLOSE_ROOM, reopen.length);
    let chunk = body.slice(0, cut).replace(/\s+$/, '');
    const open = openFence(chunk);
    if (open !== null) {
      chunk += `\n${/^[`~]+/.exec(open)![0]}`;
      reopen = `${open}\n`;
    } else {
      reopen = '';
    }
    if (chunk.trim() !== '') parts.push(chunk);
    rest = body.slice(cut).replace(/^\n+/, '');
    if (open === null) rest = rest.replace(/^\s+/, '');
  }
  return parts.length > 0 ? parts : [''];
}

/** The best place to cut `text` at or before `max`, never at or before `min` (so every part makes progress). */
function cutPoint(text: string, max: number, min: number): number {
  const window = text.slice(0, max + 1);
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(sep);
    if (at > min && at > max / 3) return at;
  }
  return max;
}

/** The opening fence line (```lang) when `chunk` ends inside a code block, else null. */
function openFence(chunk: string): string | null {
  let open: string | null = null;
  for (const line of chunk.split('\n')) {
    const m = FENCE.exec(line);
    if (!m) continue;
    if (open === null) open = `${m[1]}${m[2]!.trim()}`;
    else if (m[2]!.trim() === '') open = null;
  }
  return open;
}

import { splitMessage } from './split-message.js';
import type { ReplyStream } from './types.js';

/** How a platform posts and edits one message of a growing reply. */
export interface EditTarget {
  /** Post a new message; its id. */
  post(text: string): Promise<string>;
  edit(id: string, text: string): Promise<void>;
}

/**
 * At most `calls` posts and edits per `perMs` (a sliding window), so the reply stays inside the platform's
 * limits; while text is still arriving, also `gapMs` between two calls, which spreads them out and keeps
 * room in the window for the last edit to go out at once.
 */
export interface Pace {
  calls: number;
  perMs: number;
  gapMs?: number;
}

/**
 * A reply shown by posting, then editing as text arrives: the first text is posted at once, later text is
 * folded into edits at the given pace (what arrives between two edits goes out in one). Past `limit`
 * characters the reply continues in a new message, cut by `splitMessage` (code fences closed and reopened),
 * whose earlier parts never change as text is added, so a full message is never edited again.
 *
 * @example
 * const reply = new EditingReply({ post, edit }, { limit: 2000, pace: { calls: 5, perMs: 5000 } });
 * for await (const block of blocks) await reply.append(block.text);
 * const ids = await reply.finish();
 */
export class EditingReply implements ReplyStream {
  private text = '';
  private readonly shown: Array<{ id: string; text: string }> = [];
  private readonly callTimes: number[] = [];
  private running: Promise<void> | null = null;
  private dirty = false;
  private error: unknown;
  private finishing = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly target: EditTarget,
    private readonly options: { limit: number; pace: Pace },
  ) {}

  /** Calls made so far (posts and edits). */
  get calls(): number {
    return this.callTimes.length;
  }

  append(text: string): Promise<void> {
    if (this.error !== undefined) return Promise.reject(this.error);
    this.text += text;
    this.kick();
    return Promise.resolve();
  }

  async finish(): Promise<string[]> {
    // The last edit waits only for the window, not for the gap.
    this.finishing = true;
    this.wake?.();
    while (this.running) await this.running;
    if (this.error !== undefined) throw this.error;
    await this.sync();
    return this.shown.map((m) => m.id);
  }

  /** Start a sync unless one runs; one that runs syncs again when it is done. */
  private kick(): void {
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.dirty = false;
          await this.sync();
        } while (this.dirty);
      } catch (error) {
        this.error = error;
      } finally {
        this.running = null;
      }
    })();
  }

  private async sync(): Promise<void> {
    if (this.text.trim() === '') return;
    const parts = splitMessage(this.text, this.options.limit);
    for (const [i, part] of parts.entries()) {
      const message = this.shown[i];
      if (message?.text === part) continue;
      await this.slot();
      if (message) {
        await this.target.edit(message.id, part);
        message.text = part;
      } else {
        this.shown.push({ id: await this.target.post(part), text: part });
      }
    }
  }

  /** Wait until one more call fits the pace. */
  private async slot(): Promise<void> {
    const { calls, perMs, gapMs = 0 } = this.options.pace;
    for (;;) {
      const now = Date.now();
      const recent = this.callTimes.filter((t) => t > now - perMs);
      const windowWait = recent.length < calls ? 0 : recent[0]! + perMs - now;
      const last = this.callTimes.at(-1);
      const gapWait = this.finishing || last === undefined ? 0 : last + gapMs - now;
      const wait = Math.max(windowWait, gapWait);
      if (wait <= 0) {
        // Counted at the end of its millisecond (Date.now truncates): the call goes out within it, so the
        // platform never sees two calls closer than the pace allows.
        this.callTimes.push(now + 1);
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}

import { describe, expect, it } from 'vitest';
import { EditingReply } from '../../src/bot/edit-stream.js';
import { splitMessage } from '../../src/bot/split-message.js';

/** A platform that keeps messages and the time of every call. */
function recorder() {
  const messages = new Map<string, string>();
  const calls: Array<{ kind: 'post' | 'edit'; at: number }> = [];
  return {
    messages,
    calls,
    target: {
      post: async (text: string) => {
        calls.push({ kind: 'post', at: Date.now() });
        const id = `m${messages.size + 1}`;
        messages.set(id, text);
        return id;
      },
      edit: async (id: string, text: string) => {
        calls.push({ kind: 'edit', at: Date.now() });
        messages.set(id, text);
      },
    },
  };
}

describe('EditingReply', () => {
  it('posts, edits, and continues in a new message at the limit without breaking a code fence', async () => {
    const r = recorder();
    const reply = new EditingReply(r.target, { limit: 80, pace: { calls: 100, perMs: 1000 } });
    const pieces = ['Intro line one.\n\n', '```js\n', 'const a = 1;\n', 'const b = 2;\n'.repeat(8), '```\n\n', 'After the code.'];
    for (const p of pieces) await reply.append(p);
    const ids = await reply.finish();
    const full = pieces.join('');
    expect(ids.map((id) => r.messages.get(id))).toEqual(splitMessage(full, 80));
    for (const id of ids) {
      const text = r.messages.get(id)!;
      expect(text.length).toBeLessThanOrEqual(80);
      expect((text.match(/^```/gm) ?? []).length % 2, text).toBe(0);
    }
    expect(r.calls.filter((c) => c.kind === 'post')).toHaveLength(ids.length);
  });

  it('keeps to its pace: never more calls in a window than allowed, and what arrives meanwhile is folded into one edit', async () => {
    const r = recorder();
    const reply = new EditingReply(r.target, { limit: 2000, pace: { calls: 2, perMs: 300 } });
    for (let i = 0; i < 20; i++) await reply.append(`Piece ${i}. `);
    await reply.finish();
    expect([...r.messages.values()]).toEqual([Array.from({ length: 20 }, (_, i) => `Piece ${i}. `).join('')]);
    // 20 appends, far fewer calls: edits are coalesced while waiting for the pace.
    expect(r.calls.length).toBeLessThan(10);
    for (let i = 2; i < r.calls.length; i++) expect(r.calls[i]!.at - r.calls[i - 2]!.at).toBeGreaterThanOrEqual(300);
  });

  it('a failed post surfaces at finish (and on the next append), never as "posted"', async () => {
    const reply = new EditingReply(
      {
        post: () => Promise.reject(new Error('channel gone')),
        edit: () => Promise.resolve(),
      },
      { limit: 2000, pace: { calls: 5, perMs: 1000 } },
    );
    await reply.append('Hello.');
    await expect(reply.finish()).rejects.toThrow('channel gone');
    await expect(reply.append('more')).rejects.toThrow('channel gone');
  });
});

import type { Sample } from '../samples/types.js';
import { decodeSlack } from '../restyle/slack-text.js';
import type { Store } from '../store/types.js';
import type { SourceDoc } from './source.js';

/**
 * The samples people approved in chat for one style (`--from-store`), as source documents in id order, so
 * the same store gives the same files. One document per channel keeps a channel's samples on one side of
 * the split. A `pair` sample is used as it is (a person wrote or accepted its neutral side: no editor
 * call); a `styled` one is de-styled like any other text. `author` keeps one person's samples (the
 * platform-qualified key `slack:U123`, or the bare id).
 */
export async function storeSamples(store: Store, style: string, author?: string): Promise<SourceDoc[]> {
  const found: Array<{ key: string; s: Sample }> = [];
  for await (const [key, s] of store.ns<Sample>('samples').entries()) {
    if (s?.status !== 'approved' || s.style !== style || typeof s.styled !== 'string' || s.styled.trim() === '') continue;
    if (author && s.author !== author && !s.author?.endsWith(`:${author}`)) continue;
    found.push({ key, s });
  }
  found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return found.map(({ key, s }) => {
    const pair = s.kind === 'pair' && typeof s.neutral === 'string' && s.neutral.trim() !== '';
    // Samples saved from Slack before its text was decoded at the door hold Slack's escaping: the corpus wants the text as typed.
    const typed = (t: string): string => (s.channel?.startsWith('slack:') ? decodeSlack(t) : t);
    return {
      id: `store:${s.channel}`,
      ref: key,
      text: typed(s.styled.trim()),
      ...((s.author ?? s.savedBy) ? { author: s.author ?? s.savedBy } : {}),
      ...(typeof s.createdAt === 'string' ? { at: s.createdAt } : {}),
      ...(pair ? { neutral: typed(s.neutral!.trim()), whole: true } : {}),
      ...(s.params && Object.keys(s.params).length > 0 ? { params: s.params } : {}),
    };
  });
}

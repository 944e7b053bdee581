import { splitBlocks } from '../restyle/blocks.js';

export interface ChunkOptions {
  /** A block is at most this many paragraphs (the filter's `restyle.maxBlockParagraphs`). */
  maxParagraphs?: number;
  /** …and at most this many characters (the filter's `restyle.maxBlockChars`); longer paragraphs are cut at sentences. */
  maxChars?: number;
  /** Blocks shorter than this merge with a neighbour when the two fit in `maxChars`. */
  minChars?: number;
}

export const CHUNK_DEFAULTS = { maxParagraphs: 3, maxChars: 1_500, minChars: 80 } as const;

const HEADING = /^ {0,3}#{1,6}\s/;

/**
 * Single-idea blocks for training (the seed: 1–3 paragraphs about one idea). Built on the filter's own
 * splitter with the filter's own limits, so training blocks look like the blocks the styler will be asked
 * to restyle: a heading starts a block, a list stays whole, and code fences are left out whole — the filter
 * never sends code to the model, so the model should not learn to write it. On top of that: a paragraph
 * longer than `maxChars` is cut at sentence ends (a sentence longer still at spaces), and a very short
 * block merges with its neighbour unless that would cross a heading.
 */
export function chunk(text: string, options: ChunkOptions = {}): string[] {
  const maxChars = options.maxChars ?? CHUNK_DEFAULTS.maxChars;
  const minChars = options.minChars ?? CHUNK_DEFAULTS.minChars;
  const pieces: string[] = [];
  for (const s of splitBlocks(text, { maxParagraphs: options.maxParagraphs ?? CHUNK_DEFAULTS.maxParagraphs, maxChars })) {
    if (s.kind !== 'prose') continue;
    const block = s.text.trim();
    if (block === '') continue;
    if (block.length <= maxChars) pieces.push(block);
    else for (const para of block.split(/\n{2,}/)) pieces.push(...splitLong(para.trim(), maxChars));
  }
  const out: string[] = [];
  for (const piece of pieces) {
    const prev = out.at(-1);
    const short = prev !== undefined && (prev.length < minChars || piece.length < minChars);
    if (prev !== undefined && short && prev.length + 2 + piece.length <= maxChars && !HEADING.test(piece)) out[out.length - 1] = `${prev}\n\n${piece}`;
    else out.push(piece);
  }
  return out;
}

// A sentence ends at . ! ? … (optionally closed by a quote or bracket) before whitespace and a capital or digit.
const SENTENCE_END = /(?<=[.!?…]["'”’)\]]?)\s+(?=["'“‘([]?[\p{Lu}\d])/gu;

/** Cut one paragraph into runs of whole sentences of at most `maxChars`; a longer sentence is cut at spaces. */
export function splitLong(paragraph: string, maxChars: number): string[] {
  if (paragraph.length <= maxChars) return paragraph ? [paragraph] : [];
  const out: string[] = [];
  let current = '';
  const push = (piece: string, sep: string): void => {
    if (current && current.length + sep.length + piece.length > maxChars) {
      out.push(current);
      current = piece;
    } else current = current ? `${current}${sep}${piece}` : piece;
  };
  for (const sentence of paragraph.split(SENTENCE_END)) {
    if (sentence.length <= maxChars) push(sentence, ' ');
    else for (const words of splitAtSpaces(sentence, maxChars)) push(words, ' ');
  }
  if (current) out.push(current);
  return out;
}

/** Runs of whole words of at most `maxChars` (a single longer "word" — a hash, a base64 blob — is cut hard). */
function splitAtSpaces(sentence: string, maxChars: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of sentence.split(/\s+/)) {
    for (let i = 0; i < word.length; i += maxChars) {
      const part = word.slice(i, i + maxChars);
      if (current && current.length + 1 + part.length > maxChars) {
        out.push(current);
        current = part;
      } else current = current ? `${current} ${part}` : part;
    }
  }
  if (current) out.push(current);
  return out;
}

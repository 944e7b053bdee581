import { splitBlocks } from '../restyle/blocks.js';

export interface ChunkOptions {
  /** Paragraphs shorter than this merge with a neighbour. */
  minChars?: number;
  /** A block grows to at most this many characters (one long paragraph is split at sentences). */
  maxChars?: number;
  maxParagraphs?: number;
}

/**
 * Single-idea blocks for training (the seed: 1–3 paragraphs about one idea, 1 most often). Built on the
 * filter's own splitter, so training blocks look like the blocks the model will be asked to style: a heading
 * starts a block, code fences and lists stay whole. On top: very long paragraphs are cut at sentence
 * boundaries and very short blocks merge with the next one.
 */
export function chunk(text: string, options: ChunkOptions = {}): string[] {
  const minChars = options.minChars ?? 80;
  const maxChars = options.maxChars ?? 1_200;
  const segments = splitBlocks(text, { maxParagraphs: options.maxParagraphs ?? 3, maxChars });
  const pieces: string[] = [];
  for (const s of segments) {
    if (s.kind !== 'prose') continue;
    const block = s.text.trim();
    if (block.length > maxChars && !block.includes('\n\n')) pieces.push(...splitSentences(block, maxChars));
    else pieces.push(block);
  }
  const out: string[] = [];
  for (const piece of pieces) {
    const prev = out[out.length - 1];
    if (prev !== undefined && (prev.length < minChars || piece.length < minChars) && prev.length + piece.length + 2 <= maxChars && !/^#{1,6}\s/.test(piece)) {
      out[out.length - 1] = `${prev}\n\n${piece}`;
    } else out.push(piece);
  }
  return out;
}

const SENTENCE_END = /(?<=[.!?…]["'”’)\]]?)\s+(?=["'“‘([]?[A-Z0-9])/g;

/** Cut one long paragraph into runs of whole sentences of at most `maxChars` (a longer sentence stays whole). */
export function splitSentences(paragraph: string, maxChars: number): string[] {
  const sentences = paragraph.split(SENTENCE_END);
  const out: string[] = [];
  let current = '';
  for (const s of sentences) {
    if (current && current.length + 1 + s.length > maxChars) {
      out.push(current);
      current = s;
    } else current = current ? `${current} ${s}` : s;
  }
  if (current) out.push(current);
  return out;
}

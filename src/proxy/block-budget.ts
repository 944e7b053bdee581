import type { Settings } from '../config/load.js';
import { splitBlocks } from '../restyle/blocks.js';

/** How many style-model calls one proxied completion may make in all, and what a text costs. */
export interface BlockBudget {
  maxBlocks: number;
  blocksOf(text: string): number;
}

/**
 * `restyle.maxBlocks` bounds the calls for one answer; a proxy request is one answer to its caller, however
 * many choices (`n`) it asked for. A text's cost is its prose blocks, split as the filter splits it (a text
 * past `restyle.maxChars` costs nothing: it is passed on as written).
 */
export function blockBudget(restyle: Settings['restyle']): BlockBudget {
  const options = { maxParagraphs: restyle.maxBlockParagraphs, maxChars: restyle.maxBlockChars, maxBlocks: restyle.maxBlocks };
  return {
    maxBlocks: restyle.maxBlocks,
    blocksOf: (text) => (text.trim() === '' || text.length > restyle.maxChars ? 0 : splitBlocks(text, options).filter((s) => s.kind === 'prose').length),
  };
}

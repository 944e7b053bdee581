/**
 * Whether the text a BlockCutter still holds is, for `splitBlocks`, provably one segment (plus blank
 * space), read one new line at a time. While it is, splitting it again cannot release anything, so the
 * cutter skips the split: an open code fence or a list streamed one line per delta costs each line once
 * instead of re-splitting everything held on every delta.
 *
 * The rules mirror `units` and `groups` in ./blocks.ts (same regular expressions, same order of tests):
 * - a code fence not closed yet (or closed and followed only by blank lines) is one code segment;
 * - a paragraph still being written (no blank line yet) is one unit, so one block whatever its size;
 * - a list group keeps taking list items and indented paragraphs after blank lines, so it is one block
 *   (a paragraph ending in a colon starts such a group when a list item follows it).
 * Anything else (a heading, a second paragraph, text after a closed fence, leading blank lines) is
 * "mixed": the cutter splits for real from then on, until it releases and starts a new shape.
 */
import { FENCE_OPEN, HEADING, INDENTED, LIST_INTRO, LIST_ITEM, fenceCloser } from './blocks.js';

type State =
  | { kind: 'empty' }
  | { kind: 'fence'; close: RegExp; closed: boolean }
  | { kind: 'group'; list: boolean; open: boolean; intro: boolean }
  | { kind: 'mixed' };

export class TailShape {
  private state: State = { kind: 'empty' };

  /** True while the lines fed so far are one segment for `splitBlocks` (nothing to release). */
  get single(): boolean {
    return this.state.kind === 'fence' || this.state.kind === 'group';
  }

  /** Feed complete lines (the text ends with a newline). Stops looking once the shape is mixed. */
  feed(lines: string): void {
    let pos = 0;
    while (pos < lines.length && this.state.kind !== 'mixed') {
      const nl = lines.indexOf('\n', pos);
      const end = nl === -1 ? lines.length : nl;
      this.state = next(this.state, lines.slice(pos, end));
      pos = end + 1;
    }
  }
}

const MIXED: State = { kind: 'mixed' };

function next(state: State, line: string): State {
  switch (state.kind) {
    case 'mixed':
      return state;
    case 'empty': {
      const fence = FENCE_OPEN.exec(line);
      if (fence) return { kind: 'fence', close: fenceCloser(fence[1]!), closed: false };
      if (line.trim() === '' || HEADING.test(line)) return MIXED;
      return { kind: 'group', list: LIST_ITEM.test(line), open: true, intro: LIST_INTRO.test(line) };
    }
    case 'fence':
      if (!state.closed) return state.close.test(line) ? { ...state, closed: true } : state;
      return line.trim() === '' ? state : MIXED;
    case 'group':
      return nextInGroup(state, line);
  }
}

function nextInGroup(state: State & { kind: 'group' }, line: string): State {
  if (FENCE_OPEN.test(line)) return MIXED;
  if (line.trim() === '') return state.open ? { ...state, open: false } : state;
  if (HEADING.test(line)) return MIXED;
  // A line right after a non-blank one continues the same unit (its kind was set by its first line).
  if (state.open) return state.list ? state : { ...state, intro: LIST_INTRO.test(line) };
  // After a blank line: a new unit, which stays in the group only if `groups` would join it.
  if (state.list && (LIST_ITEM.test(line) || INDENTED.test(line))) return { ...state, open: true };
  if (!state.list && state.intro && LIST_ITEM.test(line)) return { ...state, list: true, open: true };
  return MIXED;
}

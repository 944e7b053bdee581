/**
 * Split a text into single-idea blocks for the style model, and back.
 *
 * The seed's lesson: short, one-idea blocks keep their facts. So a long answer is cut at blank lines into
 * blocks of 1–3 paragraphs; a heading starts a new block; a code fence is its own segment and never goes to
 * the model; a list (even a loose one with blank lines) is never cut. Every character of the input lands
 * in exactly one segment, so `segments.map(s => s.text).join('')` is the input, byte for byte.
 */
export type SegmentKind = 'prose' | 'code' | 'space';

export interface Segment {
  kind: SegmentKind;
  text: string;
}

export interface SplitOptions {
  maxParagraphs?: number;
  maxChars?: number;
  /**
   * Most prose blocks (model calls) for one text. Past it, short paragraphs are grouped regardless of
   * `maxParagraphs`, then the block size grows, then headings stop forcing a new block, until it fits: an
   * answer of 5,000 one-line paragraphs costs this many calls, not thousands.
   */
  maxBlocks?: number;
}

type UnitKind = 'para' | 'heading' | 'list' | 'code';
interface Unit {
  kind: UnitKind;
  start: number;
  end: number; // exclusive, before the last line's newline
}

// Exported for the streaming cutter (./tail-shape.ts), which must read lines exactly as `units` does.
export const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
export const HEADING = /^ {0,3}(#{1,6}\s|\*\*[^*]+\*\*\s*$)/;
export const LIST_ITEM = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+/;
export const INDENTED = /^(?: {2,}|\t)\S/;
/** A paragraph ending in a colon ("Steps:") joins the list after it. */
export const LIST_INTRO = /:\s*$/;

/** The line that closes a fence opened with `marker`: the same character, at least as many. */
export function fenceCloser(marker: string): RegExp {
  return new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
}

/** Cut `text` into units: paragraphs (runs of non-blank lines), code fences, headings, list items. */
function units(text: string): Unit[] {
  const out: Unit[] = [];
  let pos = 0;
  let para: Unit | null = null;
  const closePara = (): void => {
    if (para) out.push(para);
    para = null;
  };
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl === -1 ? text.length : nl;
    const line = text.slice(pos, lineEnd);
    const next = nl === -1 ? text.length : nl + 1;
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      closePara();
      // The fence runs to a closing line of the same character, at least as long; else to the end.
      const marker = fence[1]!;
      const close = fenceCloser(marker);
      // The fence runs to a closing line of the same character, at least as long; else to the end.
      let end = lineEnd;
      let p = next;
      while (p < text.length) {
        const n = text.indexOf('\n', p);
        const e = n === -1 ? text.length : n;
        const closing = close.test(text.slice(p, e));
        end = e;
        p = n === -1 ? text.length : n + 1;
        if (closing) break;
      }
      out.push({ kind: 'code', start: pos, end });
      pos = p;
      continue;
    }
    if (line.trim() === '') {
      closePara();
    } else if (HEADING.test(line)) {
      closePara();
      out.push({ kind: 'heading', start: pos, end: lineEnd });
    } else if (para) {
      (para as Unit).end = lineEnd;
    } else {
      para = { kind: LIST_ITEM.test(line) ? 'list' : 'para', start: pos, end: lineEnd };
    }
    pos = next;
  }
  closePara();
  return out;
}

/** Paragraph groups that must stay together: a list with its loose items and indented continuations. */
function groups(text: string, us: Unit[]): Unit[] {
  const out: Unit[] = [];
  for (const u of us) {
    const prev = out[out.length - 1];
    const continuesList =
      prev?.kind === 'list' && (u.kind === 'list' || (u.kind === 'para' && INDENTED.test(text.slice(u.start, u.end))));
    if (prev && continuesList) {
      prev.end = u.end;
    } else if (prev?.kind === 'para' && u.kind === 'list' && LIST_INTRO.test(text.slice(prev.start, prev.end))) {
      // "Steps:" followed by its list is one idea.
      prev.end = u.end;
      prev.kind = 'list';
    } else {
      out.push({ ...u });
    }
  }
  return out;
}

export function splitBlocks(text: string, options: SplitOptions = {}): Segment[] {
  const gs = groups(text, units(text));
  let rules: GroupRules = { maxParagraphs: options.maxParagraphs ?? 3, maxChars: options.maxChars ?? 1_500, headingsSplit: true };
  let segments = group(text, gs, rules);
  const maxBlocks = options.maxBlocks ?? Infinity;
  // Relax one rule at a time; each step can only merge blocks, and the last one merges every neighbour.
  while (proseCount(segments) > maxBlocks) {
    if (rules.maxParagraphs !== Infinity) rules = { ...rules, maxParagraphs: Infinity };
    else if (rules.maxChars < text.length) rules = { ...rules, maxChars: rules.maxChars * 2 };
    else if (rules.headingsSplit) rules = { ...rules, headingsSplit: false };
    else break; // only code fences separate what is left
    segments = group(text, gs, rules);
  }
  return segments;
}

interface GroupRules {
  maxParagraphs: number;
  maxChars: number;
  /** A heading starts a new block. */
  headingsSplit: boolean;
}

function proseCount(segments: readonly Segment[]): number {
  let n = 0;
  for (const s of segments) if (s.kind === 'prose') n += 1;
  return n;
}

function group(text: string, gs: readonly Unit[], { maxParagraphs, maxChars, headingsSplit }: GroupRules): Segment[] {
  const segments: Segment[] = [];
  let cursor = 0;
  const pushSpace = (to: number): void => {
    if (to > cursor) segments.push({ kind: 'space', text: text.slice(cursor, to) });
    cursor = Math.max(cursor, to);
  };
  let block: { start: number; end: number; count: number } | null = null;
  const flush = (): void => {
    if (!block) return;
    pushSpace(block.start);
    segments.push({ kind: 'prose', text: text.slice(block.start, block.end) });
    cursor = block.end;
    block = null;
  };
  for (const g of gs) {
    if (g.kind === 'code') {
      flush();
      pushSpace(g.start);
      segments.push({ kind: 'code', text: text.slice(g.start, g.end) });
      cursor = g.end;
      continue;
    }
    const b = block as { start: number; end: number; count: number } | null;
    const fits = b !== null && b.count < maxParagraphs && g.end - b.start <= maxChars && (g.kind !== 'heading' || !headingsSplit);
    if (b && fits) {
      b.end = g.end;
      b.count += 1;
    } else {
      flush();
      block = { start: g.start, end: g.end, count: 1 };
    }
  }
  flush();
  pushSpace(text.length);
  return segments;
}

export function joinSegments(segments: readonly Segment[]): string {
  return segments.map((s) => s.text).join('');
}

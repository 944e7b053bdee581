/** One source document: the unit the train/valid split keeps whole. */
export interface SourceDoc {
  /** Stable id for provenance and the split: a relative path, `file#id` for JSONL rows, `export/channel/day.json` for chat. */
  id: string;
  /**
   * What the document is, whatever path it was read from (an export's channel and day, a file's path under
   * its `--in` root): the split groups by it, so a zip and its unpacked folder split alike. Default: `id`.
   */
  key?: string;
  text: string;
  /** Where inside the document (a chat message ts/id, a sample id), for provenance. */
  ref?: string;
  /** An approved neutral side (a `pair` sample): the block is used as-is, no editor call. */
  neutral?: string;
  /** Style parameters that came with the text (a sample's), used instead of asking the editor. */
  params?: Record<string, string>;
  /** Who wrote it, platform-qualified (`slack:U0123`, `discord:1122…`), when known: kept per pair so `corpus forget` can find it. */
  author?: string;
  /** The author's display name (Slack users.json, Discord nickname or name), beside the id, for people reading pairs.jsonl. */
  authorName?: string;
  /** When it was written (ISO 8601), when known: kept per pair so retention can reach built corpora. */
  at?: string;
  /** Don't chunk: the text is one block (a pair must stay aligned with its neutral side). */
  whole?: boolean;
}

/** Warnings while reading (skipped files), each naming what was skipped and why. */
export type Warn = (message: string) => void;

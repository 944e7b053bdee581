import type { Namespace, Store } from '../store/types.js';
import type { Place } from './types.js';

/** A /restyle preview waiting for Post/Edit/Save/Discard. Lives in the store so any process can serve the press. */
export interface PendingPreview {
  id: string;
  /** Who asked for it (`slack:U123`); only they may use its buttons. */
  owner: string;
  place: Place;
  style: string;
  model: string | null;
  neutral: string;
  styled: string;
  /** False when the filter fell back to the original text. */
  styledOk: boolean;
  params?: Record<string, string>;
  createdAt: string;
}

/** Previews expire after a day: Slack's response_url lives 30 minutes, Discord's token 15. */
export const PREVIEW_TTL_MS = 24 * 3600 * 1000;

/** Pending previews keyed by id, with a TTL, in the store's `previews` namespace. */
export class PreviewStore {
  private readonly ns: Namespace<PendingPreview>;

  constructor(
    private readonly store: Store,
    private readonly ttlMs: number = PREVIEW_TTL_MS,
  ) {
    this.ns = store.ns<PendingPreview>('previews');
  }

  async put(preview: PendingPreview): Promise<PendingPreview> {
    await this.ns.set(preview.id, preview, this.ttlMs);
    return preview;
  }

  get(id: string): Promise<PendingPreview | undefined> {
    return this.ns.get(id);
  }

  delete(id: string): Promise<boolean> {
    return this.ns.delete(id);
  }

  /**
   * Take the preview for one final action (post, edit, save, discard): true for the first press only,
   * across processes, so a double click or two replicas never post twice.
   */
  take(id: string): Promise<boolean> {
    return this.store.claim(`preview:${id}`, this.ttlMs);
  }

  /** Hand a taken preview back (the action failed and may be retried). */
  giveBack(id: string): Promise<void> {
    return this.store.release(`preview:${id}`);
  }
}

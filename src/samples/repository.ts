import type { Namespace, SampleIndex, SampleWhere, Store } from '../store/types.js';
import type { Sample, SampleStatus } from './types.js';

/** Which samples to list; every field narrows, none means all. */
export interface SampleFilter {
  status?: SampleStatus | readonly SampleStatus[];
  style?: string;
  /** Platform-qualified channel key (`slack:C0123`). */
  channel?: string;
  platform?: string;
  /** Saved by or written by this user key (`slack:U123`). */
  user?: string;
}

export type SampleCounts = Record<SampleStatus, number>;

/** A page of `list`: at most `limit` samples, those after `after` (the last sample of the previous page). */
export interface SamplePage {
  limit?: number;
  after?: Pick<Sample, 'createdAt' | 'id'>;
}

/**
 * Training samples saved from chat, over `store.ns('samples')`. The corpus builder reads approved ones
 * (`list({status: 'approved', style})`); the bot writes, reviews and forgets them. Every write resolves
 * only once persisted (the store's contract), so callers may tell the user "saved" afterwards.
 *
 * @example
 * const samples = new SampleRepository(ctx.store);
 * for (const s of await samples.list({ status: 'approved', style: 'pirate' })) corpus.add(s.styled);
 */
export class SampleRepository {
  private readonly ns: Namespace<Sample>;
  private readonly index: SampleIndex;

  constructor(store: Store) {
    this.ns = store.ns<Sample>('samples');
    this.index = store.sampleIndex;
  }

  get(id: string): Promise<Sample | undefined> {
    return this.ns.get(id);
  }

  /** Create or replace a sample. */
  async save(sample: Sample): Promise<Sample> {
    await this.ns.set(sample.id, sample);
    return sample;
  }

  delete(id: string): Promise<boolean> {
    return this.ns.delete(id);
  }

  /** Matching samples, oldest first (the review queue's order); reads only the page it returns. */
  async list(filter: SampleFilter = {}, page: SamplePage = {}): Promise<Sample[]> {
    const after = page.after ? { createdAt: page.after.createdAt, key: page.after.id } : undefined;
    const keys = await this.index.keys(whereOf(filter), { limit: page.limit, after });
    const values = await this.ns.getMany(keys);
    // A sample deleted between the two reads is simply not listed.
    return values.filter((s): s is Sample => s !== undefined);
  }

  /** Samples per status for the filter (status in the filter is ignored). */
  async counts(filter: Omit<SampleFilter, 'status'> = {}): Promise<SampleCounts> {
    const { status: _ignored, ...where } = whereOf(filter);
    const counts = await this.index.counts(where);
    return { pending: counts.pending ?? 0, approved: counts.approved ?? 0, rejected: counts.rejected ?? 0 };
  }

  /** The oldest pending sample, preferring `prefer` (e.g. the reviewer's channel), and how many are pending. */
  async nextPending(prefer?: { channel?: string }): Promise<{ sample: Sample | undefined; pending: number }> {
    const pending = ['pending'] as const;
    const [preferred, oldest, counts] = await Promise.all([
      prefer?.channel ? this.list({ status: pending, channel: prefer.channel }, { limit: 1 }) : Promise.resolve([]),
      this.list({ status: pending }, { limit: 1 }),
      this.index.counts({}),
    ]);
    return { sample: preferred[0] ?? oldest[0], pending: counts.pending ?? 0 };
  }

  /** Record a reviewer's verdict; returns the updated sample, or undefined if it no longer exists. */
  async review(id: string, verdict: 'approved' | 'rejected', by: string, at: Date = new Date()): Promise<Sample | undefined> {
    const sample = await this.ns.get(id);
    if (!sample) return undefined;
    const updated: Sample = { ...sample, status: verdict, reviewedBy: by, reviewedAt: at.toISOString() };
    await this.ns.set(id, updated);
    return updated;
  }

  /** Delete every sample the user saved or wrote; returns how many were deleted. */
  async forget(user: string): Promise<number> {
    let deleted = 0;
    for (const sample of await this.list({ user })) if (await this.ns.delete(sample.id)) deleted += 1;
    return deleted;
  }
}

function whereOf(filter: SampleFilter): SampleWhere & { status?: readonly string[] } {
  const { status, ...rest } = filter;
  return status === undefined ? rest : { ...rest, status: typeof status === 'string' ? [status] : status };
}

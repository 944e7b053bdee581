import type { Namespace, Store } from '../store/types.js';
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

  constructor(store: Store) {
    this.ns = store.ns<Sample>('samples');
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

  /** Matching samples, oldest first (the review queue's order). */
  async list(filter: SampleFilter = {}): Promise<Sample[]> {
    const out: Sample[] = [];
    for await (const [, sample] of this.ns.entries()) if (matches(sample, filter)) out.push(sample);
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Samples per status for the filter (status in the filter is ignored). */
  async counts(filter: Omit<SampleFilter, 'status'> = {}): Promise<SampleCounts> {
    const counts: SampleCounts = { pending: 0, approved: 0, rejected: 0 };
    for await (const [, sample] of this.ns.entries()) if (matches(sample, filter)) counts[sample.status] += 1;
    return counts;
  }

  /** The oldest pending sample, preferring `prefer` (e.g. the reviewer's channel), and how many are pending. */
  async nextPending(prefer?: { channel?: string }): Promise<{ sample: Sample | undefined; pending: number }> {
    const pending = await this.list({ status: 'pending' });
    const preferred = prefer?.channel ? pending.find((s) => s.channel === prefer.channel) : undefined;
    return { sample: preferred ?? pending[0], pending: pending.length };
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

function matches(sample: Sample, filter: SampleFilter): boolean {
  if (filter.status !== undefined) {
    const wanted = typeof filter.status === 'string' ? [filter.status] : filter.status;
    if (!wanted.includes(sample.status)) return false;
  }
  if (filter.style !== undefined && sample.style !== filter.style) return false;
  if (filter.channel !== undefined && sample.channel !== filter.channel) return false;
  if (filter.platform !== undefined && sample.platform !== filter.platform) return false;
  if (filter.user !== undefined && sample.savedBy !== filter.user && sample.author !== filter.user) return false;
  return true;
}

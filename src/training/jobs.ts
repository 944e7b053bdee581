import type { Namespace, Store } from '../store/types.js';
import type { JobRecord } from './types.js';

interface Upload {
  fileId: string;
  at: string;
}

/**
 * Jobs restyle is following, in the store's `jobs` namespace (`job:<id>`), so `restyle train watch` picks up
 * where a stopped process left off; plus uploaded files by content hash (`upload:…`), so a re-run after a
 * refused job doesn't upload the same bytes again.
 */
export class JobStore {
  private readonly ns: Namespace<JobRecord | Upload>;

  constructor(store: Store) {
    this.ns = store.ns<JobRecord | Upload>('jobs');
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return (await this.ns.get(`job:${id}`)) as JobRecord | undefined;
  }

  /** Resolves once written. */
  async save(job: JobRecord): Promise<void> {
    await this.ns.set(`job:${job.id}`, { ...job, updatedAt: new Date().toISOString() });
  }

  /** All jobs, newest first. */
  async list(): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for await (const [key, value] of this.ns.entries()) if (key.startsWith('job:')) out.push(value as JobRecord);
    return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  async upload(key: string): Promise<string | undefined> {
    return ((await this.ns.get(`upload:${key}`)) as Upload | undefined)?.fileId;
  }

  async saveUpload(key: string, fileId: string): Promise<void> {
    await this.ns.set(`upload:${key}`, { fileId, at: new Date().toISOString() });
  }

  async forgetUpload(key: string): Promise<void> {
    await this.ns.delete(`upload:${key}`);
  }
}

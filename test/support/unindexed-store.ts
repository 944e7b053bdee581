import KeyvRedis from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import type { Sample } from '../../src/samples/types.js';

/**
 * A store as the code before the sample index wrote it: Keyv over the same backend (a SQLite file, or a
 * Redis URL), keys and values as they were, no index.
 */
export async function writeUnindexed(kind: 'sqlite' | 'redis', where: string, samples: readonly Sample[]): Promise<void> {
  const keyv =
    kind === 'sqlite'
      ? new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${where}` }), namespace: 'samples', useKeyPrefix: false })
      : new Keyv({ store: new KeyvRedis(where, { namespace: 'restyle:samples', keyPrefixSeparator: ':' }), namespace: 'restyle:samples', useKeyPrefix: false });
  for (let i = 0; i < samples.length; i += 500) {
    await Promise.all(samples.slice(i, i + 500).map((s) => keyv.set(kind === 'sqlite' ? `samples:${s.id}` : s.id, s)));
  }
  await keyv.disconnect();
}

const STATUSES = ['pending', 'approved', 'rejected'] as const;

/** The i-th sample of an old store: statuses, two styles and five channels spread over the ids, a second apart. */
export function oldSample(i: number): Sample {
  return {
    id: `old-${i}`,
    kind: 'styled',
    status: STATUSES[(i * 7) % 3]!,
    source: 'reaction',
    style: i % 4 === 0 ? 'quiet' : 'loud',
    platform: 'slack',
    channel: `slack:C${i % 5}`,
    savedBy: 'slack:UANA',
    styled: `text ${i}`,
    createdAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
  };
}

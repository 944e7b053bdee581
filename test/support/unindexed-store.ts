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

import { RestyleError } from '../errors.js';
import type { Namespace, Store } from '../store/types.js';
import { CHANNEL_KEY } from '../config/schema.js';
import { own } from '../util/own.js';

/** A mapping made in chat. `style: null` records an explicit unmap that overrides the config file. */
export interface StoredMapping {
  style: string | null;
  by?: string;
  at: string;
}

export interface ChannelMapping {
  channel: string;
  style: string | null;
  source: 'store' | 'config';
  by?: string;
  at?: string;
}

/**
 * Channel → style, from the store (set in chat) over the config file. Keys are platform-qualified
 * (`slack:C0123`, `discord:1122…`) so one store serves every platform.
 */
export class ChannelMappings {
  private readonly ns: Namespace<StoredMapping>;

  constructor(
    store: Store,
    private readonly fileMappings: Readonly<Record<string, string>>,
    private readonly knownStyles: () => string[],
  ) {
    this.ns = store.ns<StoredMapping>('channels');
  }

  /** The style for a channel, or null. Store wins over the file; `default` applies to unmapped channels. */
  async resolve(channel: string): Promise<ChannelMapping | null> {
    const own = await this.get(channel);
    if (own) return own.style === null ? null : own;
    const fallback = await this.get('default');
    return fallback && fallback.style !== null ? { ...fallback, channel } : null;
  }

  /** The mapping recorded for exactly this key (store, else file), including explicit unmaps. */
  async get(channel: string): Promise<ChannelMapping | null> {
    const stored = await this.ns.get(channel);
    if (stored) return { channel, style: stored.style, source: 'store', by: stored.by, at: stored.at };
    const style = own(this.fileMappings, channel);
    return style ? { channel, style, source: 'config' } : null;
  }

  /** Map a channel; resolves only once the mapping is persisted. */
  async set(channel: string, style: string, by?: string): Promise<ChannelMapping> {
    checkChannel(channel);
    const known = this.knownStyles();
    if (!known.includes(style)) {
      throw new RestyleError('style_unknown', `unknown style "${style}"; known styles: ${known.join(', ') || '(none)'}`, { details: { style, known } });
    }
    const at = new Date().toISOString();
    await this.ns.set(channel, { style, by, at });
    return { channel, style, source: 'store', by, at };
  }

  /** Unmap: records an explicit "no style" so a mapping from the file stops applying too. */
  async unset(channel: string, by?: string): Promise<void> {
    checkChannel(channel);
    if (own(this.fileMappings, channel)) await this.ns.set(channel, { style: null, by, at: new Date().toISOString() });
    else await this.ns.delete(channel);
  }

  /** Every effective mapping (store over file), sorted by channel. */
  async list(): Promise<ChannelMapping[]> {
    const out = new Map<string, ChannelMapping>();
    for (const [channel, style] of Object.entries(this.fileMappings)) out.set(channel, { channel, style, source: 'config' });
    for await (const [channel, m] of this.ns.entries()) {
      if (m.style === null) out.delete(channel);
      else out.set(channel, { channel, style: m.style, source: 'store', by: m.by, at: m.at });
    }
    return [...out.values()].sort((a, b) => a.channel.localeCompare(b.channel));
  }
}

/** A channel key (`slack:C0123ABC`, `discord:1122…`, `default`), or `input_invalid` naming what was given. */
export function checkChannel(channel: string): void {
  if (!CHANNEL_KEY.test(channel)) {
    throw new RestyleError('input_invalid', `channel "${channel}" is not a channel key such as slack:C0123ABC or discord:112233445566778899`, {
      details: { channel, field: 'channel' },
    });
  }
}

/**
 * Mentions that ping people. Styled text may never contain one the original did not: a model that writes
 * "<!channel>" or "@everyone" would page a whole workspace. Checked after placeholders are restored.
 *
 * A mention counts as present in the original only where it was live (outside code): "use `<!channel>`
 * only for outages" does not license a live `<!channel>`. Mentions are normalised before comparing, so
 * `<!Channel>`, `<!HERE>`, `<!channel|channel>`, `<@U1|ana>`, `<@!123>` and a full-width `＠everyone` are
 * the same as their plain forms, and `@everyone` glued to a word still counts.
 */
export type MentionKind = 'user' | 'role' | 'broadcast' | 'group';

export interface Mention {
  /** Normalised: `<@U123>`, `<@123>`, `<@&123>`, `<!channel>`, `<!here>`, `<!everyone>`, `<!group>`, `<!subteam^S1>`, `@everyone`, `@here`, `@channel`. */
  key: string;
  kind: MentionKind;
  /** Where it is in the text, and the text as written. */
  index: number;
  raw: string;
  /** False inside inline code or a code fence. */
  live: boolean;
}

const MENTION = new RegExp(
  [
    /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/.source, // Slack user
    /<!(channel|here|everyone|group)(?:\|[^>]*)?>/.source, // Slack broadcast (any case)
    /<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>/.source, // Slack user group
    /<@!?(\d{1,25})>/.source, // Discord user
    /<@&(\d{1,25})>/.source, // Discord role
    /[@\uFF20\uFE6B](everyone|here|channel)/.source, // plain-text broadcast, even glued to a word or full-width
  ].join('|'),
  'gi',
);
/** Inline code and fences: a backtick run up to the next run of the same length. */
const CODE = /(`+)[\s\S]*?\1/g;

/** Every mention in `text`, live or in code, in order. */
export function findMentions(text: string): Mention[] {
  const code = [...text.matchAll(CODE)].map((m) => [m.index, m.index + m[0].length] as const);
  const inCode = (i: number): boolean => code.some(([a, b]) => i >= a && i < b);
  return [...text.matchAll(MENTION)].map((m) => {
    const [raw, slackUser, broadcast, subteam, discordUser, role, plain] = m;
    const at = { index: m.index, raw, live: !inCode(m.index) };
    if (slackUser) return { ...at, key: `<@${slackUser.toUpperCase()}>`, kind: 'user' as const };
    if (broadcast) return { ...at, key: `<!${broadcast.toLowerCase()}>`, kind: 'broadcast' as const };
    if (subteam) return { ...at, key: `<!subteam^${subteam.toUpperCase()}>`, kind: 'group' as const };
    if (discordUser) return { ...at, key: `<@${discordUser}>`, kind: 'user' as const };
    if (role) return { ...at, key: `<@&${role}>`, kind: 'group' as const };
    return { ...at, key: `@${plain!.toLowerCase()}`, kind: 'broadcast' as const };
  });
}

/** The live mentions of `text`, normalised. */
export function mentionsIn(text: string): Set<string> {
  return new Set(findMentions(text).filter((m) => m.live).map((m) => m.key));
}

/**
 * Mentions in `styled` that `original` did not have: live ones the original had nowhere live, and ones in
 * code the original had nowhere at all (the model cannot change protected code, so new code is its own).
 */
export function addedMentions(original: string, styled: string): string[] {
  const before = findMentions(original);
  const live = new Set(before.filter((m) => m.live).map((m) => m.key));
  const any = new Set(before.map((m) => m.key));
  const added = findMentions(styled).filter((m) => (m.live ? !live.has(m.key) : !any.has(m.key)));
  return [...new Set(added.map((m) => m.key))];
}

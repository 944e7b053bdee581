/**
 * Mentions that ping people. Styled text may never contain one the original did not: a model that writes
 * "<!channel>" or "@everyone" would page a whole workspace. Checked after placeholders are restored.
 */
const MENTION = /<(?:@[A-Z0-9]+|!(?:channel|here|everyone)|!subteam\^[A-Z0-9]+)(?:\|[^>]*)?>|<@[!&]?\d+>|(?<!\w)@(?:everyone|here|channel)\b/g;

export function mentionsIn(text: string): Set<string> {
  return new Set([...text.matchAll(MENTION)].map((m) => m[0].replace(/\|[^>]*>$/, '>').replace(/^<@!/, '<@')));
}

/** Mentions in `styled` that `original` did not have. */
export function addedMentions(original: string, styled: string): string[] {
  const before = mentionsIn(original);
  return [...mentionsIn(styled)].filter((m) => !before.has(m));
}

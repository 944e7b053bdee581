/**
 * Links in text: Slack `<url>` / `<url|label>`, Markdown `[label](url)`, bare URLs. A link the styled text
 * has and the original did not is treated like an added mention (the block falls back to the original):
 * a model talked into writing `<https://evil|login>` must not get it posted under the bot's name.
 */
const LINK = /<((?:https?|mailto|tel):[^|>\s]+)(?:\|[^>]*)?>|\]\(\s*<?([^)\s>]+)>?\s*\)|\b((?:https?:\/\/|www\.)[^\s<>()|]+(?:\([^\s<>()]*\)[^\s<>()|]*)*[^\s<>().,;:!?'"\]|])/gi;

/** The link targets of `text`, normalised (lowercase scheme and host, no trailing slash). */
export function linksIn(text: string): Set<string> {
  return new Set([...text.matchAll(LINK)].map((m) => normalise((m[1] ?? m[2] ?? m[3])!)));
}

/** Link targets in `styled` that `original` did not have. */
export function addedLinks(original: string, styled: string): string[] {
  const before = linksIn(original);
  return [...linksIn(styled)].filter((l) => !before.has(l));
}

function normalise(url: string): string {
  const u = url.replace(/^www\./i, 'http://www.').replace(/\/+$/, '');
  return u.replace(/^([a-z][\w+.-]*:(?:\/\/)?[^/?#]*)/i, (head) => head.toLowerCase());
}

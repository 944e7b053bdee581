/**
 * Discord reports a reaction as a unicode emoji (`⭐`) or a custom one (`{name, id}`); the config names
 * reactions as Slack does (`star`, `+1`, `-1`) or spells them out (`⭐`, `restyle:112233…` for a custom
 * emoji). These helpers translate between the two.
 */

/** Unicode emoji → the short names people write in config (first one is the canonical name). */
const NAMES: Readonly<Record<string, readonly string[]>> = {
  '⭐': ['star'],
  '🌟': ['star2', 'glowing_star'],
  '👍': ['+1', 'thumbsup'],
  '👎': ['-1', 'thumbsdown'],
  '✅': ['white_check_mark'],
  '☑️': ['ballot_box_with_check'],
  '✔️': ['heavy_check_mark'],
  '❌': ['x'],
  '⚠️': ['warning'],
  '❤️': ['heart'],
  '🎉': ['tada'],
  '🔖': ['bookmark'],
  '📌': ['pushpin'],
  '💾': ['floppy_disk'],
  '📝': ['memo', 'pencil'],
  '✨': ['sparkles'],
  '👀': ['eyes'],
  '🔥': ['fire'],
  '💯': ['100'],
  '👌': ['ok_hand'],
  '🙌': ['raised_hands'],
  '👏': ['clap'],
  '🏆': ['trophy'],
  '💡': ['bulb'],
  '📚': ['books'],
};

const BY_NAME = new Map<string, string>(Object.entries(NAMES).flatMap(([emoji, names]) => names.map((n) => [n, emoji] as const)));

/** Skin tones and the emoji variation selector do not change what a reaction means. */
function bare(emoji: string): string {
  return emoji.replace(/\u{FE0F}|[\u{1F3FB}-\u{1F3FF}]/gu, '');
}

const BARE = new Map<string, readonly string[]>(Object.entries(NAMES).map(([emoji, names]) => [bare(emoji), names]));

/**
 * Every name a reaction may be configured as, most specific first: `name:id` and `name` for a custom
 * emoji; the short names and the character itself for a unicode one.
 */
export function reactionNames(emoji: { id: string | null; name: string | null }): string[] {
  if (!emoji.name) return [];
  if (emoji.id) return [`${emoji.name}:${emoji.id}`, emoji.name];
  const names = BARE.get(bare(emoji.name)) ?? [];
  return [...names, emoji.name, bare(emoji.name)];
}

/** What to send to Discord's reaction route: a configured name (`white_check_mark`) → `✅`; `name:id` and unicode pass through. */
export function toDiscordEmoji(name: string): string {
  const plain = name.replace(/^:|:$/g, '');
  return BY_NAME.get(plain) ?? plain;
}

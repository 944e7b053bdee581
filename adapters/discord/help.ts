import { help } from '../../src/bot/help.js';
import type { Reply } from '../../src/bot/types.js';
import type { Settings } from '../../src/config/load.js';
import { toDiscordEmoji } from './emoji.js';

/** `/restyle help` in Discord's spelling: typed options instead of `style=NAME`, emoji as characters. */
export function discordHelp(settings: Pick<Settings, 'bot'>): Reply {
  return help(settings.bot, '/restyle', {
    text: '/restyle text text:TEXT',
    style: 'the `style:` option',
    emoji: (name) => {
      const e = toDiscordEmoji(name);
      return /^[\w~]+:\d+$/.test(e) ? `<:${e}>` : e;
    },
  });
}

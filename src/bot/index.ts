/** The platform-free chat layer adapters build on. */
export { Bot, normalizeEmoji, type ReactionInput } from './bot.js';
export type { BotDeps } from './context.js';
export { parseCommand, SUBCOMMANDS, type BotCommand } from './command.js';
export type { AnswerInput } from './answer-and-restyle.js';
export type { HistoryEntry } from './answer.js';
export { ReplyOrigins, type ReplyOrigin } from './origins.js';
export { guardMentions } from './safety.js';
export { splitMessage } from './split-message.js';
export type * from './types.js';
export type * from './platform.js';

import { randomBytes } from 'node:crypto';
import type { Settings } from '../config/load.js';
import type { Logger } from '../log.js';
import { RateLimits } from '../rate-limits.js';
import { silentLogger } from '../log.js';
import type { ChatClientProvider, Restyler } from '../restyle/restyler.js';
import { FeedbackRepository } from '../samples/feedback.js';
import { SampleRepository } from '../samples/repository.js';
import type { Store } from '../store/types.js';
import { answerSourceFrom, type AnswerSource } from './answer.js';
import { ReplyOrigins } from './origins.js';
import { Permissions } from './permissions.js';
import { PreviewStore } from './preview-store.js';
import type { ChatActions } from './types.js';

/**
 * What the use cases need, injected (an `AppContext` spreads straight in: `new Bot({...ctx, actions})`).
 * `fetch` serves the webhook answer source, `now` and `newId` make tests deterministic.
 */
export interface BotDeps {
  settings: Settings;
  store: Store;
  restyler: Restyler;
  llm: ChatClientProvider;
  actions: ChatActions;
  logger?: Logger;
  /** Per-user limits on /restyle and automatic replies (default: from settings, in memory). */
  limits?: RateLimits;
  fetch?: typeof fetch;
  now?: () => Date;
  newId?: () => string;
}

/** The use cases' shared state, built once per platform. */
export interface BotContext {
  settings: Settings;
  store: Store;
  restyler: Restyler;
  actions: ChatActions;
  logger: Logger;
  now: () => Date;
  newId: () => string;
  samples: SampleRepository;
  feedback: FeedbackRepository;
  previews: PreviewStore;
  origins: ReplyOrigins;
  permissions: Permissions;
  answers: AnswerSource | null;
  limits: RateLimits;
}

export function botContext(deps: BotDeps): BotContext {
  return {
    settings: deps.settings,
    store: deps.store,
    restyler: deps.restyler,
    actions: deps.actions,
    logger: deps.logger ?? silentLogger(),
    now: deps.now ?? (() => new Date()),
    // Short enough for Discord's 100-character custom_id, random enough to be unguessable.
    newId: deps.newId ?? (() => randomBytes(12).toString('base64url')),
    samples: new SampleRepository(deps.store),
    feedback: new FeedbackRepository(deps.store),
    previews: new PreviewStore(deps.store),
    origins: new ReplyOrigins(deps.store),
    permissions: new Permissions(deps.settings.bot),
    answers: answerSourceFrom(deps.settings, { llm: deps.llm, fetch: deps.fetch }),
    limits: deps.limits ?? new RateLimits(deps.settings.rateLimits, deps.store),
  };
}

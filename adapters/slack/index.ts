import type { ChatPlatform } from '../../src/bot/platform.js';
import { startSlack } from './app.js';
import { startSlackJobs } from './jobs.js';
import { checkSlackPost } from './post.js';
import { SLACK_ENABLE_HINT, slackEnabled } from './enabled.js';

/** Slack as a `restyle bot` platform (loaded lazily from adapters/platforms.ts). */
export const slackPlatform: ChatPlatform = {
  name: 'slack',
  enableHint: SLACK_ENABLE_HINT,
  enabled: slackEnabled,
  start: (ctx, http) => startSlack({ ctx, http }),
  checkPost: (message) => void checkSlackPost(message),
  jobs: (ctx, queue) => Promise.resolve(startSlackJobs({ ctx }, queue)),
};

export { startSlack, type RunningSlack, type SlackOptions } from './app.js';
export { restyleSlack, noRestyle, type RestyleSlackOptions } from './middleware.js';

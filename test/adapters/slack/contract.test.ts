import { runUseCaseContract } from '../../bot/contract.js';
import { slackHarnessFactory } from './harness.js';

runUseCaseContract('slack', slackHarnessFactory);

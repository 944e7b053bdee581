import { runUseCaseContract } from '../../bot/contract.js';
import { discordHarnessFactory } from './harness.js';

runUseCaseContract('discord', discordHarnessFactory);

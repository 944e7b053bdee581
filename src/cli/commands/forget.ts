import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { RestyleError } from '../../errors.js';
import { batchOut, forgetUserInCorpus, purgeCorpusBefore, type ExportForgetResult } from '../../privacy/exports.js';
import { retentionCutoff, sweepRetention } from '../../privacy/retention.js';
import { forgetUserInStore } from '../../privacy/store.js';
import { userMatcher } from '../../privacy/user.js';
import { displayPath } from '../../util/paths.js';
import { write, type CliIO } from '../io.js';
import { withContext } from '../context.js';

interface ForgetFlags {
  user?: string;
  corpus: string[];
  retention?: boolean;
  json?: boolean;
}

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * `restyle corpus forget --user ID [--corpus DIR]…`: a person's samples and verdicts go from the store, and
 * their text from corpora already built (and those corpora's editor caches). `--retention` applies
 * `privacy.retentionDays` now, to the store (as the bot does every 6 hours) and to the --corpus folders
 * (examples with a date: chat exports and samples).
 */
export function registerForget(corpus: Command, io: CliIO): void {
  corpus
    .command('forget')
    .description("delete a person's samples and feedback from the store and their text from built corpora")
    .option('--user <id>', 'who: slack:U0123, discord:1122… (or a bare id, any platform)')
    .option('--corpus <dir>', 'also apply it to this corpus build folder (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .option('--retention', 'delete everything written before privacy.retentionDays ago now (store and --corpus folders)')
    .option('--json', 'print the counts as JSON')
    .action(async function (this: Command, flags: ForgetFlags) {
      if (!flags.user && !flags.retention) throw new RestyleError('usage', 'corpus forget: pass --user ID (and --corpus DIR for built corpora), or --retention');
      const matches = flags.user ? userMatcher(flags.user) : undefined;
      // Check every corpus folder before touching anything, so a typo does not leave the job half done.
      const corpora = flags.corpus.map((dir) => resolve(io.cwd, dir));
      for (const abs of corpora) {
        if (!existsSync(join(abs, 'pairs.jsonl'))) {
          const pending = batchOut(abs) ? ': its build has not finished (a --batch is still out); run that corpus build again to collect it, then forget' : ' (expected a folder written by restyle corpus build)';
          throw new RestyleError('file_not_found', `--corpus ${displayPath(abs, io.cwd)}: no pairs.jsonl${pending}; nothing was changed`);
        }
      }
      await withContext(this, io, async (ctx) => {
        const out: {
          store?: { samples: number; feedback: number };
          retention?: { days: number; samples: number; feedback: number };
          corpora: Array<ExportForgetResult & { reason: 'user' | 'retention' }>;
        } = { corpora: [] };
        if (flags.retention) {
          const days = ctx.settings.privacy.retentionDays;
          if (!days) throw new RestyleError('usage', `--retention: privacy.retentionDays is not set in ${ctx.settings.configPath}`);
          const now = new Date();
          out.retention = { days, ...(await sweepRetention(ctx.store, days, now)) };
          for (const abs of corpora) out.corpora.push({ ...purgeCorpusBefore(abs, retentionCutoff(days, now), now), dir: displayPath(abs, io.cwd), reason: 'retention' });
        }
        if (matches) {
          try {
            out.store = await forgetUserInStore(ctx.store, matches);
          } catch (error) {
            const partial = (error as { partial?: { samples: number; feedback: number } }).partial;
            const done = partial ? ` after deleting ${plural(partial.samples, 'sample')} and ${plural(partial.feedback, 'verdict')}` : '';
            throw new RestyleError('store_unavailable', `forgetting stopped${done}: ${error instanceof Error ? error.message : String(error)}; run it again to finish`, { cause: error });
          }
          for (const abs of corpora) {
            out.corpora.push({ ...forgetUserInCorpus(abs, matches), dir: displayPath(abs, io.cwd), reason: 'user' });
          }
        }
        if (out.corpora.some((c) => c.examples > 0)) write(io.stderr, 'note: models already trained on those corpora still learned from the text; retrain to remove it');
        for (const abs of corpora.filter(batchOut)) {
          write(io.stderr, `note: ${displayPath(abs, io.cwd)} has a --batch still out: a build caches its answers when it collects them, whoever's text they hold; run corpus forget again after that build`);
        }
        if (flags.json) return write(io.stdout, JSON.stringify(out, null, 2));
        if (out.retention) write(io.stdout, `retention (${out.retention.days} days): deleted ${plural(out.retention.samples, 'sample')} and ${plural(out.retention.feedback, 'feedback verdict')}`);
        if (out.store) write(io.stdout, `store (${ctx.store.kind}): deleted ${plural(out.store.samples, 'sample')} and ${plural(out.store.feedback, 'feedback verdict')} of ${flags.user}`);
        for (const c of out.corpora) {
          const why = c.reason === 'user' ? `of ${flags.user}` : 'past the retention window';
          write(io.stdout, `${c.dir}: removed ${plural(c.examples, 'example')} ${why} from each direction and ${plural(c.cached, 'cached editor answer')}`);
          if (c.derived.length > 0) write(io.stdout, `${c.dir}: removed ${c.derived.map((d) => `${d}/`).join(' and ')} (made from the corpus, with copies of the text; run train --provider export or eval again to remake)`);
        }
      }, { noteNewStore: true });
    });
}

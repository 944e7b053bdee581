import type { Command } from 'commander';
import { RestyleError } from '../../errors.js';
import { openQueue } from '../../queue/index.js';
import type { JobQueue } from '../../queue/types.js';
import { write, type CliIO } from '../io.js';
import { settingsFor } from '../context.js';

/** Open the queue the settings name (the bot's: same SQLite file or REDIS_URL), run `fn`, close it. */
async function withQueue<T>(cmd: Command, io: CliIO, fn: (queue: JobQueue) => Promise<T>): Promise<T> {
  const settings = settingsFor(cmd, io);
  const queue = await openQueue(settings.store, { leaseMs: settings.queue.leaseMs });
  try {
    return await fn(queue);
  } finally {
    await queue.close(0);
  }
}

/**
 * `restyle jobs list|retry ID|drop ID`: see the durable queue (depth, oldest job, failed jobs with their
 * reasons) and act on failed jobs. Works on the queue of a running bot: same SQLite file or REDIS_URL.
 */
export function registerJobs(program: Command, io: CliIO): void {
  const jobs = program.command('jobs').description('see and act on the durable work queue (failed jobs and their reasons)');

  jobs
    .command('list')
    .description('queue depth, oldest job age, and the failed jobs with their reasons')
    .option('--limit <n>', 'failed jobs to show', '50')
    .option('--json', 'print as JSON')
    .action(async function (this: Command, flags: { limit: string; json?: boolean }) {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new RestyleError('usage', `--limit ${flags.limit}: expected a whole number ≥ 1`);
      await withQueue(this, io, async (queue) => {
        const [stats, failed] = [await queue.stats(), await queue.failed(limit)];
        if (flags.json) return write(io.stdout, JSON.stringify({ queue: { kind: queue.kind, location: queue.location }, stats, failed }, null, 2));
        write(io.stdout, `queue ${queue.kind} at ${queue.location}: ${stats.depth} unfinished (oldest ${Math.round(stats.oldestAgeMs / 1000)} s), ${stats.retrying} waiting to retry, ${stats.failed} failed`);
        for (const f of failed) write(io.stdout, `${f.id}\t${f.kind}\t${new Date(f.failedAt).toISOString()}\t${f.attempts} attempt(s)\t${f.reason}`);
        if (failed.length > 0) write(io.stdout, 'retry one with `restyle jobs retry ID`, or delete it with `restyle jobs drop ID`');
      });
    });

  jobs
    .command('retry <id>')
    .description('run a failed job again')
    .action(async function (this: Command, id: string) {
      await withQueue(this, io, async (queue) => {
        if (!(await queue.retry(id))) throw new RestyleError('not_found', `jobs retry ${id}: no failed job with that id (see \`restyle jobs list\`)`);
        write(io.stdout, `${id}: queued again`);
      });
    });

  jobs
    .command('drop <id>')
    .description('delete a failed (or still waiting) job: its work will not be done')
    .action(async function (this: Command, id: string) {
      await withQueue(this, io, async (queue) => {
        if (!(await queue.drop(id))) throw new RestyleError('not_found', `jobs drop ${id}: no failed or waiting job with that id (see \`restyle jobs list\`)`);
        write(io.stdout, `${id}: dropped`);
      });
    });
}

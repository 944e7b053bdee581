import type { Command } from 'commander';
import { createContext } from '../../app.js';
import { createLogger } from '../../log.js';
import { CORE_CHECKS, fixSampleIndex, formatCheck, runDoctor, STORELESS_CHECKS, type DoctorCheck } from '../../doctor.js';
import { LlmPool } from '../../llm/pool.js';
import { toRestyleError } from '../../errors.js';
import { openStore } from '../../store/index.js';
import { write, type CliIO } from '../io.js';
import { settingsFor } from '../context.js';
import { CliExit } from '../exit.js';

export function registerDoctor(program: Command, io: CliIO, extraChecks: readonly DoctorCheck[] = []): void {
  program
    .command('doctor')
    .description('check config, keys, endpoints, models and the store; exits non-zero on ✗')
    .option('--strict', 'treat warnings (!) as failures (for a release step)')
    .option('--fix', 'index samples written before the sample index existed, or resume an interrupted indexing, now (the bot does it when it starts)')
    .action(async function (this: Command, opts: { strict?: boolean; fix?: boolean }) {
      let settings;
      try {
        settings = settingsFor(this, io);
      } catch (error) {
        write(io.stdout, formatCheck({ status: 'fail', name: 'config', detail: toRestyleError(error).message }));
        throw new CliExit(1);
      }
      let ctx;
      let store;
      try {
        // Opened as it is: a store whose samples are not all indexed is reported (or, with --fix, indexed).
        store = await openStore(settings.store, { migration: { migrate: false } });
        ctx = await createContext(settings, { store, logger: createLogger({ level: 'silent' }), env: io.env });
      } catch (error) {
        await store?.close();
        // The rest is still worth knowing (a key, an endpoint): the checks that need no store run too.
        const llm = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
        const before = await runDoctor({ settings, llm }, STORELESS_CHECKS.before);
        const after = await runDoctor({ settings, llm }, STORELESS_CHECKS.after);
        for (const r of [...before, { status: 'fail' as const, name: 'store', detail: storeProblem(error, settings.store.dataDir) }, ...after]) write(io.stdout, formatCheck(r));
        throw new CliExit(1);
      }
      try {
        const fixed = opts.fix ? [await fixSampleIndex(ctx)] : [];
        const results = [...fixed, ...(await runDoctor(ctx, [...CORE_CHECKS, ...extraChecks]))];
        for (const r of results) write(io.stdout, formatCheck(r));
        const bad = results.filter((r) => r.status === 'fail' || (opts.strict && r.status === 'warn'));
        if (bad.length > 0) throw new CliExit(1);
      } finally {
        await ctx.close();
        await store.close();
      }
    });
}

/**
 * The store's failure, with the cause SQLite's words hide: "attempt to write a readonly database" is most
 * often the data folder, where SQLite must create its -wal and -shm files, not the file itself.
 */
function storeProblem(error: unknown, dataDir: string): string {
  const message = toRestyleError(error).message;
  return /readonly database/i.test(message) ? `${message} (SQLite writes -wal and -shm files beside it: can this user write to the folder ${dataDir}?)` : message;
}

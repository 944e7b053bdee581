import type { Command } from 'commander';
import { createContext } from '../../app.js';
import { createLogger } from '../../log.js';
import { CORE_CHECKS, formatCheck, runDoctor, type DoctorCheck } from '../../doctor.js';
import { toRestyleError } from '../../errors.js';
import { write, type CliIO } from '../io.js';
import { settingsFor } from '../context.js';
import { CliExit } from '../exit.js';

export function registerDoctor(program: Command, io: CliIO, extraChecks: readonly DoctorCheck[] = []): void {
  program
    .command('doctor')
    .description('check config, keys, endpoints, models and the store; exits non-zero on ✗')
    .option('--strict', 'treat warnings (!) as failures (for a release step)')
    .action(async function (this: Command, opts: { strict?: boolean }) {
      let settings;
      try {
        settings = settingsFor(this, io);
      } catch (error) {
        write(io.stdout, formatCheck({ status: 'fail', name: 'config', detail: toRestyleError(error).message }));
        throw new CliExit(1);
      }
      let ctx;
      try {
        ctx = await createContext(settings, { logger: createLogger({ level: 'silent' }), env: io.env });
      } catch (error) {
        write(io.stdout, formatCheck({ status: 'fail', name: 'store', detail: toRestyleError(error).message }));
        throw new CliExit(1);
      }
      try {
        const results = await runDoctor(ctx, [...CORE_CHECKS, ...extraChecks]);
        for (const r of results) write(io.stdout, formatCheck(r));
        const bad = results.filter((r) => r.status === 'fail' || (opts.strict && r.status === 'warn'));
        if (bad.length > 0) throw new CliExit(1);
      } finally {
        await ctx.close();
      }
    });
}

import { Command, CommanderError } from 'commander';
import { RestyleError } from '../errors.js';
import type { DoctorCheck } from '../doctor.js';
import type { CliIO } from './io.js';
import { CliExit } from './exit.js';
import { registerText } from './commands/text.js';
import { registerStyles } from './commands/styles.js';
import { registerDoctor } from './commands/doctor.js';
import { registerBot, type Serve } from './commands/bot.js';
import { registerJobs } from './commands/jobs.js';

/** A feature's commands (corpus, train, models, eval, discord…), registered by the composition root. */
export type CommandModule = (program: Command, io: CliIO) => void;

export interface CliDeps {
  serve: Serve;
  commands?: readonly CommandModule[];
  doctorChecks?: readonly DoctorCheck[];
}

export function buildProgram(io: CliIO, deps: CliDeps): Command {
  const program = new Command('restyle')
    .description('A house voice for chat bots: restyle text through a fine-tuned style model.')
    .option('-c, --config <file>', 'config file (default: RESTYLE_CONFIG or config/restyle.yaml)')
    .option('--debug', 'verbose logs and stack traces')
    .showHelpAfterError('(run restyle --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  registerText(program, io);
  registerStyles(program, io);
  registerDoctor(program, io, deps.doctorChecks);
  registerBot(program, io, deps.serve);
  registerJobs(program, io);
  for (const register of deps.commands ?? []) register(program, io);
  // Subcommands inherit the output and exit behaviour.
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  return program;
}

/**
 * Run the CLI and return the exit code: 0 ok, 1 runtime failure, 2 usage or configuration error. Errors
 * are one line on stderr; stack traces only with --debug.
 */
export async function runCli(argv: readonly string[], io: CliIO, deps: CliDeps): Promise<number> {
  const program = buildProgram(io, deps);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CommanderError) {
      // Help and version print and exit 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof RestyleError) {
      io.stderr.write(`restyle: ${error.message}\n`);
      if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    const e = error as Error;
    io.stderr.write(`restyle: unexpected error: ${e?.message ?? String(error)}${debug ? '' : ' (run with --debug for details)'}\n`);
    if (debug && e?.stack) io.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

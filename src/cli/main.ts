import { Command, CommanderError, Help } from 'commander';
import { RestyleError } from '../errors.js';
import { VERSION } from '../version.js';
import type { DoctorCheck } from '../doctor.js';
import type { CliIO } from './io.js';
import { CliExit } from './exit.js';
import type { OpenPortFn, Serve } from './commands/bot.js';
import { systemErrorLine } from '../util/system-error.js';

/** A feature's commands, registered on the program (a platform's, e.g. `discord`, comes from the composition root). */
export type CommandModule = (program: Command, io: CliIO) => void;

/**
 * A top-level command whose module is imported only when it runs (or its help is asked for): `restyle
 * --help` and `restyle text` then load neither the training code nor a chat SDK. `term` and `summary` are
 * the line the root help shows (test/cli/main.test.ts checks they match what the module registers).
 */
export interface LazyCommand {
  name: string;
  term: string;
  summary: string;
  load(): Promise<CommandModule>;
}

export interface CliDeps {
  serve: Serve;
  /** Open `restyle bot`'s HTTP port before the app is built (liveness at once); without it the port opens last. */
  openPort?: OpenPortFn;
  /** Platform commands: lazy, or a module registered at once. */
  commands?: readonly (LazyCommand | CommandModule)[];
  /** Platform checks, after the platform-free ones (config, keys, endpoints, models, store, prompt hashes). */
  doctorChecks?: readonly DoctorCheck[];
}

/** The platform-free commands, in the order the help lists them. */
export function coreCommands(deps: CliDeps): LazyCommand[] {
  return [
    { name: 'text', term: 'text [options] [text]', summary: 'restyle TEXT (or standard input) and print it', load: async () => (await import('./commands/text.js')).registerText },
    { name: 'styles', term: 'styles [options]', summary: 'list the configured styles and channel mappings from the config file', load: async () => (await import('./commands/styles.js')).registerStyles },
    {
      name: 'doctor',
      term: 'doctor [options]',
      summary: 'check config, keys, endpoints, models and the store; exits non-zero on ✗',
      load: async () => {
        const [{ registerDoctor }, { promptHashCheck }] = await Promise.all([import('./commands/doctor.js'), import('../registry/doctor.js')]);
        return (program, io) => registerDoctor(program, io, [promptHashCheck, ...(deps.doctorChecks ?? [])]);
      },
    },
    {
      name: 'bot',
      term: 'bot [options]',
      summary: 'run the bot: HTTP API on PORT plus Slack and/or Discord when their tokens are set',
      load: async () => {
        const { registerBot } = await import('./commands/bot.js');
        return (program, io) => registerBot(program, io, deps.serve, deps.openPort);
      },
    },
    { name: 'corpus', term: 'corpus', summary: 'build fine-tuning data from text written in a style', load: async () => (await import('./commands/corpus.js')).registerCorpus },
    { name: 'train', term: 'train [options]', summary: "fine-tune a style's styler (or --destyler) on a corpus built by `restyle corpus build`", load: async () => (await import('./commands/train.js')).registerTrain },
    { name: 'models', term: 'models', summary: 'the model registry: which trained model each style uses, with history', load: async () => (await import('./commands/models.js')).registerModels },
    {
      name: 'eval',
      term: 'eval [options]',
      summary: 'style each neutral input of a validation set and score content kept, style strength, length and fallbacks; exit 1 when thresholds fail',
      load: async () => (await import('./commands/eval.js')).registerEval,
    },
    { name: 'jobs', term: 'jobs', summary: 'see and act on the durable work queue (failed jobs and their reasons)', load: async () => (await import('./commands/jobs.js')).registerJobs },
  ];
}

/** The command argv runs (`restyle -c f.yaml text …` → `text`; `restyle help train` → `train`), if any. */
function invoked(argv: readonly string[]): string | undefined {
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '-c' || arg === '--config') i += 1;
    else if (!arg.startsWith('-')) operands.push(arg);
  }
  return operands[0] === 'help' ? operands[1] : operands[0];
}

/**
 * The program for `argv`: the invoked command's module is loaded, every other command is a stand-in that
 * only lists itself in the root help. Without `argv` every module is loaded.
 */
export async function buildProgram(io: CliIO, deps: CliDeps, argv?: readonly string[]): Promise<Command> {
  const program = new Command('restyle')
    .description('A house voice for chat bots: restyle text through a fine-tuned style model.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('-c, --config <file>', 'config file (default: RESTYLE_CONFIG or config/restyle.yaml)')
    .option('--debug', 'verbose logs and stack traces')
    .showHelpAfterError('(run restyle --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  const name = argv ? invoked(argv) : undefined;
  const terms = new Map<string, string>();
  const platform = deps.commands ?? [];
  const core = coreCommands(deps);
  const lazy = [...core.slice(0, 5), ...platform.filter((c): c is LazyCommand => typeof c !== 'function'), ...core.slice(5)];
  for (const command of lazy) {
    if (!argv || command.name === name) (await command.load())(program, io);
    else {
      program.command(command.name).description(command.summary);
      terms.set(command.name, command.term);
    }
  }
  for (const register of platform) if (typeof register === 'function') register(program, io);
  const help = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? help.subcommandTerm(cmd) });
  // Subcommands inherit the output and exit behaviour.
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  return program;
}

/**
 * Run the CLI and return the exit code: 0 ok, 1 runtime failure, 2 usage or configuration error. Errors
 * are one line on stderr; stack traces only with --debug.
 */
export async function runCli(argv: readonly string[], io: CliIO, deps: CliDeps): Promise<number> {
  const program = await buildProgram(io, deps, argv);
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
    const system = systemErrorLine(error);
    if (system) {
      io.stderr.write(`restyle: ${system}\n`);
      if (debug && (error as Error).stack) io.stderr.write(`${(error as Error).stack}\n`);
      return 1;
    }
    const e = error as Error;
    io.stderr.write(`restyle: unexpected error: ${e?.message ?? String(error)}${debug ? '' : ' (run with --debug for details)'}\n`);
    if (debug && e?.stack) io.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

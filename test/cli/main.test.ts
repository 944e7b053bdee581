import { Command, Help } from 'commander';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cliDeps } from '../../app/main.js';
import { coreCommands, type LazyCommand } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';

const io: CliIO = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: Readable.from([]), env: {}, cwd: process.cwd() };
const lazy = [...coreCommands(cliDeps), ...(cliDeps.commands ?? []).filter((c): c is LazyCommand => typeof c !== 'function')];

describe('lazy commands', () => {
  it.each(lazy.map((c) => [c.name, c] as const))('%s: the root help line matches what its module registers', async (name, command) => {
    const program = new Command('restyle');
    (await command.load())(program, io);
    const real = program.commands.find((c) => c.name() === name);
    expect(real, `${name}'s module registers no \`${name}\` command`).toBeDefined();
    expect(command.summary).toBe(real!.description());
    expect(command.term).toBe(new Help().subcommandTerm(real!));
  });

  it('the root help lists every command; a command runs with its real options', async () => {
    const cwd = tmpDir('cli-main');
    const help = await runInProcess(['--help'], { cwd });
    expect(help.code).toBe(0);
    for (const c of lazy) expect(help.stdout).toContain(`  ${c.term} `);
    const sub = await runInProcess(['-c', 'missing.yaml', 'help', 'train'], { cwd });
    expect(sub.stdout).toContain('--destyler');
    const styles = await runInProcess(['styles', '--bogus'], { cwd });
    expect(styles.code).toBe(2);
    expect(styles.stderr).toContain("unknown option '--bogus'");
  });
});

import type { Command } from 'commander';
import { settingsFor } from '../../src/cli/context.js';
import { write } from '../../src/cli/io.js';
import type { CommandModule } from '../../src/cli/main.js';
import { RestyleError } from '../../src/errors.js';

const SNOWFLAKE = /^\d{15,25}$/;

/**
 * `restyle discord register [--guild ID]`: the slash command and the context menus, idempotently.
 * discord.js is imported only when the command runs, so other commands never load it.
 */
export const registerDiscordCommands: CommandModule = (program, io) => {
  const discord = program.command('discord').description('Discord: set up the bot (see docs/discord.md)');
  discord
    .command('register')
    .description('register /restyle and the "Restyle message" / "Save as style sample" context menus (safe to run again)')
    .option('--guild <id>', 'register in this server only (appears at once; for trying things out) instead of globally')
    .action(async function (this: Command, opts: { guild?: string }) {
      if (opts.guild !== undefined && !SNOWFLAKE.test(opts.guild)) {
        throw new RestyleError('usage', `--guild must be a server id (Developer Mode → right-click the server → Copy Server ID), got "${opts.guild}"`);
      }
      const settings = settingsFor(this, io);
      const { registerWithSettings, describeRegistration } = await import('./register.js');
      const result = await registerWithSettings(settings, opts.guild);
      write(io.stdout, describeRegistration(result));
    });
};

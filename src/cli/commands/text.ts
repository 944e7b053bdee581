import type { Command } from 'commander';
import { RestyleError } from '../../errors.js';
import { readAll, write, type CliIO } from '../io.js';
import { withContext } from '../context.js';
import { collectParam } from '../params.js';
import { own } from '../../util/own.js';

interface TextOptions {
  style?: string;
  channel?: string;
  param: Record<string, string>;
  from?: string;
  json?: boolean;
  cache: boolean;
  failOpen?: boolean;
}

export function registerText(program: Command, io: CliIO): void {
  program
    .command('text')
    .description('restyle TEXT (or standard input) and print it')
    .argument('[text]', 'the text; read from standard input when omitted')
    .option('-s, --style <name>', 'the style to write in (default: the style named "default")')
    .option('--channel <key>', 'use the style mapped to this channel, e.g. slack:C0123ABC')
    .option('-p, --param <key=value>', 'a style parameter, repeatable', collectParam, {})
    .option('--from <style>', 'convert: de-style from this style first (needs its destyler)')
    .option('--json', 'print the full result as JSON')
    .option('--no-cache', 'neither read nor write the cache')
    .option('--fail-open', 'on a model error print the original text (exit 0) instead of failing')
    .action(async function (this: Command, text: string | undefined, opts: TextOptions) {
      const input = text ?? (io.stdin.isTTY ? undefined : await readAll(io.stdin));
      if (input === undefined) throw new RestyleError('usage', 'no text: pass TEXT or pipe it on standard input');
      await withContext(this, io, async (ctx) => {
        if (!opts.style && !opts.channel && !own(ctx.settings.styles, 'default')) {
          const known = Object.keys(ctx.settings.styles);
          throw new RestyleError('usage', `no style: pass --style NAME${known.length ? ` (known: ${known.join(', ')})` : ` (no styles in ${ctx.settings.configPath} yet)`}`);
        }
        const result = await ctx.restyler.restyle(input, {
          style: opts.style,
          channel: opts.channel,
          params: opts.param,
          from: opts.from,
          cache: opts.cache,
          onError: opts.failOpen ? 'original' : 'error',
        });
        if (opts.json) write(io.stdout, JSON.stringify(result, null, 2));
        else io.stdout.write(result.text.endsWith('\n') || result.text === '' ? result.text : `${result.text}\n`);
        if (result.fallbacks > 0) io.stderr.write(`restyle: ${result.fallbacks} of ${result.blocks} block(s) kept as written (the reply broke a protected span, added a mention or link, was empty or ran on)\n`);
      });
    });
}

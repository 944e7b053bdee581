import type { Command } from 'commander';
import { promptHash, promptParams } from '../../restyle/messages.js';
import { write, type CliIO } from '../io.js';
import { settingsFor } from '../context.js';

export function registerStyles(program: Command, io: CliIO): void {
  program
    .command('styles')
    .description('list the configured styles and channel mappings from the config file')
    .option('--json', 'print as JSON')
    .action(function (this: Command, opts: { json?: boolean }) {
      const settings = settingsFor(this, io);
      const styles = Object.values(settings.styles).map((s) => ({
        name: s.name,
        model: s.model,
        baseUrl: s.endpoint.baseUrl,
        destyler: s.destyler ?? null,
        params: promptParams(s.prompt),
        promptHash: promptHash(s.prompt),
        channels: Object.entries(settings.channels).filter(([, v]) => v === s.name).map(([k]) => k),
      }));
      if (opts.json) return write(io.stdout, JSON.stringify(styles, null, 2));
      if (styles.length === 0) return write(io.stdout, `no styles yet: add one under "styles:" in ${settings.configPath}`);
      for (const s of styles) {
        write(io.stdout, `${s.name}\t${s.model}\t${s.baseUrl}${s.destyler ? `\tdestyler=${s.destyler}` : ''}${s.params.length ? `\tparams=${s.params.join(',')}` : ''}${s.channels.length ? `\tchannels=${s.channels.join(',')}` : ''}`);
      }
    });
}

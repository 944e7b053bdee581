import type { Command } from 'commander';
import { getStyle, type Settings } from '../../config/load.js';
import { RestyleError } from '../../errors.js';
import { promptHash } from '../../restyle/messages.js';
import { dataInfo } from '../../registry/data-info.js';
import { apiKeyEnvFor } from '../../registry/endpoints.js';
import { ModelRegistry } from '../../registry/registry.js';
import type { ModelEntry, ModelRole, RegistryRecord } from '../../registry/types.js';
import { verifierFor } from '../../registry/verify.js';
import { write, type CliIO } from '../io.js';
import { withContext } from '../context.js';
import { own } from '../../util/own.js';

interface AddFlags {
  model: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  destyler?: boolean;
  baseModel?: string;
  data?: string;
  use: boolean;
}

const roleOf = (destyler?: boolean): ModelRole => (destyler ? 'destyler' : 'styler');

function describe(entry: ModelEntry, record: RegistryRecord, settings: Settings): string {
  const style = own(settings.styles, entry.style);
  const current = style ? promptHash(entry.role === 'styler' ? style.prompt : style.destylerPrompt) : undefined;
  const prompt = current === undefined ? entry.promptHash : entry.promptHash === current ? `${entry.promptHash} ✓` : `${entry.promptHash} ✗ prompt changed (now ${current})`;
  const metrics = Object.entries(entry.metrics ?? {})
    .filter(([k]) => ['validLoss', 'fullValidLoss', 'chrf', 'styleAccuracy'].includes(k))
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`)
    .join(', ');
  return [
    `${record.active === entry.id ? '*' : ' '} #${entry.id}`,
    entry.model,
    `base ${entry.baseModel ?? '?'}`,
    entry.baseUrl,
    `prompt ${prompt}`,
    entry.dataHash ? `data ${entry.dataHash}` : '',
    metrics,
    entry.createdAt.slice(0, 10),
    entry.jobId ?? entry.source,
  ]
    .filter(Boolean)
    .join('  ');
}

export function registerModels(program: Command, io: CliIO): void {
  const models = program.command('models').description('the model registry: which trained model each style uses, with history');
  addModelsAdd(models, io);
  addModelsList(models, io);
  addModelsUse(models, io);
  addModelsRollback(models, io);
}

function addModelsAdd(models: Command, io: CliIO): void {
  models
    .command('add')
    .description('register a model for a style (checked at its endpoint first) and use it')
    .argument('<style>', 'the style')
    .requiredOption('--model <id>', 'the model id as the endpoint serves it')
    .option('--base-url <url>', "an OpenAI-compatible endpoint (default: the style's)")
    .option('--api-key-env <VAR>', 'the environment variable holding that endpoint\'s key (any value for keyless servers)')
    .option('--destyler', 'register the de-styler')
    .option('--base-model <model>', 'the model it was fine-tuned from (recorded)')
    .option('--data <dir>', 'the data it was trained on (corpus dir or export dir): records the data and prompt hashes')
    .option('--no-use', 'register only; keep the model in use as it is')
    .action(async function (this: Command, styleName: string, flags: AddFlags) {
      await withContext(this, io, async (ctx) => {
        const style = getStyle(ctx.settings, styleName);
        const role = roleOf(flags.destyler);
        const own = role === 'styler' ? style.endpoint : style.destylerEndpoint;
        let baseUrl = own.baseUrl;
        let apiKeyEnv = flags.apiKeyEnv ?? own.apiKeyEnv;
        if (flags.baseUrl) {
          try {
            baseUrl = new URL(flags.baseUrl).toString().replace(/\/+$/, '');
          } catch {
            throw new RestyleError('usage', `--base-url ${flags.baseUrl}: not a URL (e.g. http://localhost:8000/v1)`);
          }
          const known = apiKeyEnvFor(ctx.settings, baseUrl);
          if (!flags.apiKeyEnv && !known) {
            // Never send a configured key to a server it wasn't configured for.
            throw new RestyleError('usage', `--base-url ${baseUrl} is not an endpoint in the config: pass --api-key-env VAR naming the variable with its key (any value for servers without keys)`);
          }
          apiKeyEnv = flags.apiKeyEnv ?? known!;
        }
        if (flags.apiKeyEnv && !/^[A-Z_][A-Z0-9_]*$/.test(flags.apiKeyEnv)) throw new RestyleError('usage', `--api-key-env ${flags.apiKeyEnv}: expected an environment variable name`);
        const info = flags.data ? await dataInfo(flags.data, role, style, io.cwd) : undefined;
        const registry = new ModelRegistry(ctx.store, verifierFor(ctx.settings, ctx.llm, io.env));
        const { entry, added, activated } = await registry.add(
          {
            style: style.name,
            role,
            model: flags.model,
            ...(flags.baseModel || info?.baseModel ? { baseModel: flags.baseModel ?? info!.baseModel! } : {}),
            baseUrl,
            apiKeyEnv,
            promptHash: info?.promptHash ?? promptHash(role === 'styler' ? style.prompt : style.destylerPrompt),
            promptHashFrom: info ? 'data' : 'config',
            ...(info ? { dataHash: info.dataHash } : {}),
            source: 'manual',
          },
          { use: flags.use },
        );
        write(io.stdout, `${added ? 'registered' : 'already registered'} ${style.name} ${role} #${entry.id}: ${entry.model} at ${entry.baseUrl}${activated ? ' (now in use)' : ''}`);
        if (!info) write(io.stderr, `note: prompt hash assumed from the current config (pass --data DIR to record what it was trained on)`);
      }, { registry: 'off' });
    });
}

function addModelsList(models: Command, io: CliIO): void {
  models
    .command('list')
    .description('registered models per style; * marks the one in use')
    .argument('[style]', 'only this style')
    .option('--json', 'print JSON')
    .action(async function (this: Command, styleName: string | undefined, opts: { json?: boolean }) {
      await withContext(this, io, async (ctx) => {
        if (styleName) getStyle(ctx.settings, styleName);
        const registry = new ModelRegistry(ctx.store, async () => {});
        const records = await registry.list(styleName);
        if (opts.json) return write(io.stdout, JSON.stringify(records, null, 2));
        if (records.length === 0) return write(io.stdout, `no models registered${styleName ? ` for ${styleName}` : ''} (restyle models add STYLE --model ID, or restyle train)`);
        for (const record of records) {
          const configured = own(ctx.settings.styles, record.style);
          const configModel = record.role === 'styler' ? configured?.model : configured?.destyler;
          write(io.stdout, `${record.style} ${record.role}${record.active === null ? ` — using the config's model ${configModel ?? '(none)'}` : ''}`);
          for (const e of record.entries) write(io.stdout, `  ${describe(e, record, ctx.settings)}`);
        }
      }, { registry: 'off', noteNewStore: true });
    });
}

function addModelsUse(models: Command, io: CliIO): void {
  models
    .command('use')
    .description('switch a style to a registered model (N, vN, "#N" or model id)')
    .argument('<style>', 'the style')
    // Optional to commander so a `#2` the shell swallowed gets our hint instead of "missing argument".
    .argument('[model]', 'N (or vN, or "#N" quoted) from `restyle models list`, or the model id')
    .option('--destyler', 'switch the de-styler')
    .action(async function (this: Command, styleName: string, ref: string | undefined, opts: { destyler?: boolean }) {
      if (!ref) {
        throw new RestyleError('usage', `which model? restyle models use ${styleName} 2 (the number from restyle models list; an unquoted #2 is a comment to the shell)`);
      }
      await withContext(this, io, async (ctx) => {
        getStyle(ctx.settings, styleName);
        const registry = new ModelRegistry(ctx.store, verifierFor(ctx.settings, ctx.llm, io.env));
        const entry = await registry.use(styleName, roleOf(opts.destyler), ref);
        write(io.stdout, `${styleName} ${entry.role} now uses #${entry.id}: ${entry.model}`);
      }, { registry: 'off', noteNewStore: true });
    });
}

function addModelsRollback(models: Command, io: CliIO): void {
  models
    .command('rollback')
    .description('go back to the model a style used before')
    .argument('<style>', 'the style')
    .option('--destyler', 'roll back the de-styler')
    .action(async function (this: Command, styleName: string, opts: { destyler?: boolean }) {
      await withContext(this, io, async (ctx) => {
        const style = getStyle(ctx.settings, styleName);
        const role = roleOf(opts.destyler);
        const registry = new ModelRegistry(ctx.store, verifierFor(ctx.settings, ctx.llm, io.env));
        const { from, to } = await registry.rollback(styleName, role);
        const configured = role === 'styler' ? style.model : style.destyler;
        write(io.stdout, `${styleName} ${role}: ${from ? `#${from.id} ${from.model}` : `config model ${configured}`} → ${to ? `#${to.id} ${to.model}` : `the config's model ${configured ?? '(none)'}`}`);
      }, { registry: 'off', noteNewStore: true });
    });
}

import { displayPath } from '../util/paths.js';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Style } from '../config/load.js';
import { validateJsonl } from '../corpus/validate.js';
import { RestyleError } from '../errors.js';
import { promptHash } from '../restyle/messages.js';
import { readExamples, type ChatExample } from './examples.js';
import { promptPattern } from './prompt-match.js';
import type { DataSet, ModelRole } from './types.js';

/** The files `restyle corpus build --out DIR` writes, per model. */
export const DATA_FILES: Record<ModelRole, { train: string; valid: string }> = {
  styler: { train: 'train.jsonl', valid: 'valid.jsonl' },
  destyler: { train: 'destyle.train.jsonl', valid: 'destyle.valid.jsonl' },
};

/** The prompt template a role's examples are rendered from (and the config field holding it). */
export function roleTemplate(style: Style, role: ModelRole): { template: string; field: string } {
  return role === 'styler' ? { template: style.prompt, field: 'prompt' } : { template: style.destylerPrompt, field: 'destylerPrompt' };
}

export { displayPath } from '../util/paths.js';

/**
 * `--data` names a corpus folder everywhere (train, eval, models add); a file in it (`corpus/train.jsonl`)
 * stands for its folder, so either spelling works.
 */
export function dataFolder(dataArg: string, cwd: string): string {
  const path = resolve(cwd, dataArg);
  return existsSync(path) && statSync(path).isFile() ? displayPath(dirname(path), cwd) || '.' : dataArg;
}

/**
 * Find, check and hash a role's training data in DIR before anything is uploaded or exported:
 * - the files exist (`file_not_found` naming what is missing and how to make it);
 * - every line is a valid chat example (the corpus validator, OpenAI's cookbook checks) — `file_invalid`
 *   naming `file:line`;
 * - every system message is a rendering of the style's current prompt — the prompt the model is trained
 *   with must literally match the one it will be asked with.
 */
export async function loadDataSet(dataArg: string, role: ModelRole, style: Style, cwd: string): Promise<DataSet> {
  const dirArg = dataFolder(dataArg, cwd);
  const dir = resolve(cwd, dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new RestyleError('file_not_found', `${dirArg}: no such directory (make one with: restyle corpus build --out ${dirArg} …)`, { details: { dir: dirArg } });
  }
  const names = DATA_FILES[role];
  const train = join(dir, names.train);
  const valid = join(dir, names.valid);
  const shownTrain = displayPath(train, cwd);
  const shownValid = displayPath(valid, cwd);
  if (!existsSync(train)) {
    const other = role === 'styler' ? DATA_FILES.destyler.train : DATA_FILES.styler.train;
    const hint = existsSync(join(dir, other)) ? ` (it has ${other}: ${role === 'styler' ? 'drop' : 'add'} --destyler?)` : ' (expected the output of restyle corpus build --out DIR)';
    throw new RestyleError('file_not_found', `${dirArg} has no ${names.train}${hint}`, { details: { dir: dirArg, file: names.train } });
  }
  const warnings: string[] = [];
  const hasValid = existsSync(valid);
  if (!hasValid) warnings.push(`${dirArg} has no ${names.valid}: without a validation set there is no validation loss to watch (rebuild with --valid-fraction 0.1)`);

  for (const [file, shown] of hasValid ? [[train, shownTrain], [valid, shownValid]] : [[train, shownTrain]]) {
    const report = await validateJsonl(file!, shown);
    const first = report.issues[0];
    if (first) {
      const more = report.issues.length > 1 ? ` (and ${report.issues.length - 1} more problem(s): restyle corpus validate ${shown})` : '';
      throw new RestyleError('file_invalid', `${shown}:${first.line}: ${first.problem}${more}`, { details: { file: shown, line: first.line } });
    }
    if (report.examples === 0) throw new RestyleError('file_invalid', `${shown}: no examples`, { details: { file: shown } });
  }

  const trainExamples = await readExamples(train, shownTrain);
  const validExamples = hasValid ? await readExamples(valid, shownValid) : [];
  const { template, field } = roleTemplate(style, role);
  checkPrompts(trainExamples, shownTrain, template, `styles.${style.name}.${field}`);
  checkPrompts(validExamples, shownValid, template, `styles.${style.name}.${field}`);
  if (trainExamples.length < 10) warnings.push(`${shownTrain}: ${trainExamples.length} examples; OpenAI requires at least 10`);

  let split: DataSet['split'];
  const reportFile = join(dir, 'report.json');
  if (existsSync(reportFile)) {
    try {
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { split?: unknown; promptHash?: unknown };
      if (report.split === 'document' || report.split === 'block') split = report.split;
      if (split === 'block') warnings.push(`${displayPath(reportFile, cwd)}: the corpus was split by block, not by source document, so train and valid may share text (validation loss will look better than it is)`);
    } catch {
      warnings.push(`${displayPath(reportFile, cwd)}: not valid JSON; ignored`);
    }
  }
  return {
    dir,
    role,
    train,
    ...(hasValid ? { valid } : {}),
    shown: { train: shownTrain, ...(hasValid ? { valid: shownValid } : {}) },
    examples: { train: trainExamples.length, valid: validExamples.length },
    dataHash: await hashFiles(hasValid ? [train, valid] : [train]),
    promptHash: promptHash(template),
    ...(split ? { split } : {}),
    warnings,
  };
}

function checkPrompts(examples: readonly ChatExample[], shown: string, template: string, field: string): void {
  const pattern = promptPattern(template);
  const bad = examples.find((e) => !pattern.test(e.system));
  if (!bad) return;
  const got = bad.system.length > 60 ? `${bad.system.slice(0, 60)}…` : bad.system;
  throw new RestyleError(
    'file_invalid',
    `${shown}:${bad.line}: system prompt ${JSON.stringify(got)} is not ${field}; the prompt a model is trained with must literally match the one it is asked with (rebuild the corpus, or set ${field} back)`,
    { details: { file: shown, line: bad.line } },
  );
}

/** sha256 over the files' bytes (streamed), 16 hex characters. */
export async function hashFiles(files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
    h.update('\u0000');
  }
  return h.digest('hex').slice(0, 16);
}

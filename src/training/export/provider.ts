import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AtomicJsonl, writeFileAtomic } from '../../corpus/write.js';
import { readExamples } from '../examples.js';
import type { TrainingProvider } from '../provider.js';
import type { TrainOutcome, TrainRequest } from '../types.js';
import { axolotlConfig, DEFAULT_OPEN_BASE_MODEL, llamaFactoryConfig, llamaFactoryDatasetInfo, llamaFactoryTemplate } from './configs.js';
import { FORMATS } from './formats.js';
import { exportReadme } from './readme.js';

export interface ExportOptions {
  /** Where to write; default `<data dir>/export/<role>`. */
  outDir?: string;
  cwd: string;
}

/**
 * Training anywhere: write the (already validated) data as OpenAI chat JSONL, ShareGPT and Alpaca, ready
 * configs for axolotl and LLaMA-Factory, a manifest with the hashes the registry records, and a README on
 * serving the result behind an OpenAI-compatible endpoint. Nothing leaves the machine.
 */
export class ExportProvider implements TrainingProvider {
  readonly name = 'export';
  readonly description = 'write the data for open-source LoRA trainers (axolotl, LLaMA-Factory) and serve via vLLM/Ollama';

  constructor(private readonly options: ExportOptions) {}

  async start(req: TrainRequest): Promise<TrainOutcome> {
    const { data } = req;
    const dir = this.options.outDir ?? join(data.dir, 'export', req.role);
    mkdirSync(dir, { recursive: true });
    const baseModel = req.baseModel ?? DEFAULT_OPEN_BASE_MODEL;
    const template = llamaFactoryTemplate(baseModel);
    const splits: Array<['train' | 'valid', string]> = [['train', data.train]];
    if (data.valid) splits.push(['valid', data.valid]);
    const written: string[] = [];
    for (const [split, file] of splits) {
      const examples = await readExamples(file, split === 'train' ? data.shown.train : data.shown.valid);
      for (const format of Object.values(FORMATS)) {
        const out = new AtomicJsonl(join(dir, format.file(split)));
        try {
          for (const e of examples) out.write(format.convert(e));
          out.commit();
        } catch (error) {
          out.abort();
          throw error;
        }
        written.push(join(dir, format.file(split)));
      }
    }
    const input = {
      style: req.style.name,
      role: req.role,
      baseModel,
      epochs: req.epochs ?? 3,
      train: FORMATS.openai.file('train'),
      ...(data.valid ? { valid: FORMATS.openai.file('valid'), sharegptValid: FORMATS.sharegpt.file('valid') } : {}),
      sharegptTrain: FORMATS.sharegpt.file('train'),
    };
    const files: Array<[string, string]> = [
      ['axolotl.yaml', axolotlConfig(input)],
      ['llamafactory.yaml', llamaFactoryConfig(input)],
      ['dataset_info.json', llamaFactoryDatasetInfo(input)],
      [
        'manifest.json',
        `${JSON.stringify({ style: req.style.name, role: req.role, baseModel, promptHash: data.promptHash, dataHash: data.dataHash, examples: data.examples, createdAt: new Date().toISOString() }, null, 2)}\n`,
      ],
      ['README.md', exportReadme({ style: req.style.name, role: req.role, baseModel, ...(template ? { template } : {}), examples: data.examples, promptHash: data.promptHash, dataHash: data.dataHash })],
    ];
    for (const [name, text] of files) {
      writeFileAtomic(join(dir, name), text);
      written.push(join(dir, name));
    }
    const shownDir = relative(this.options.cwd, dir) || '.';
    const name = `${req.style.name}-${req.role}`;
    return {
      kind: 'export',
      dir,
      files: written,
      next: [
        `train: cd ${shownDir} && axolotl train axolotl.yaml   (or llamafactory-cli train llamafactory.yaml)`,
        `serve: vllm serve ${baseModel} --enable-lora --lora-modules ${name}=./outputs/${name}   (LLaMA-Factory: ${name}=./saves/${name})`,
        ...(template ? [] : [`note: LLaMA-Factory has no template restyle knows for ${baseModel}: set template: in llamafactory.yaml to its chat template (axolotl uses the tokenizer's own)`]),
        `register: restyle models add ${req.style.name}${req.role === 'destyler' ? ' --destyler' : ''} --model ${name} --base-url http://localhost:8000/v1 --api-key-env VLLM_API_KEY --data ${shownDir}`,
        `details: ${join(shownDir, 'README.md')} and docs/training.md`,
      ],
    };
  }
}

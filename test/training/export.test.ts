import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeEach, describe, expect, it } from 'vitest';
import { llamaFactoryTemplate } from '../../src/training/export/configs.js';
import { toAlpaca, toOpenAIChat, toShareGpt } from '../../src/training/export/formats.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { writeCorpus } from './corpus.js';

let cwd: string;
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

beforeEach(() => {
  cwd = tmpDir('export');
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  pirate:\n    model: gpt-4.1-mini\n');
  writeCorpus(join(cwd, 'corpus'));
});

describe('export formats', () => {
  const e = { line: 1, system: 'Please, rewrite the provided text in your style:', user: 'The ship leaves.', assistant: 'Arr, the ship be leavin’!' };

  it('OpenAI chat, ShareGPT and Alpaca keep the system prompt as its own turn', () => {
    expect(toOpenAIChat(e)).toEqual({ messages: [{ role: 'system', content: e.system }, { role: 'user', content: e.user }, { role: 'assistant', content: e.assistant }] });
    expect(toShareGpt(e)).toEqual({ conversations: [{ from: 'system', value: e.system }, { from: 'human', value: e.user }, { from: 'gpt', value: e.assistant }] });
    expect(toAlpaca(e)).toEqual({ instruction: e.user, input: '', output: e.assistant, system: e.system });
    expect(toOpenAIChat({ ...e, system: '' }).messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });
});

describe('restyle train --provider export', () => {
  it('writes every format, trainer configs, a manifest and a README — no API key needed', async () => {
    const r = await runInProcess(['train', '--provider', 'export', '--style', 'pirate', '--data', 'corpus', '--base-model', 'Qwen/Qwen2.5-7B-Instruct', '--epochs', '2'], { env: {}, cwd });
    expect(r.code, r.stderr).toBe(0);
    const dir = join(cwd, 'corpus/export/styler');
    expect(r.stdout.trim()).toBe(dir);
    expect(r.stderr).toContain('exported 11 files to');
    expect(r.stderr).toContain('register: restyle models add pirate --model pirate-styler --base-url http://localhost:8000/v1 --api-key-env VLLM_API_KEY --data corpus/export/styler');

    const source = lines(join(cwd, 'corpus/train.jsonl'));
    expect(lines(join(dir, 'openai.train.jsonl'))).toEqual(source);
    expect(lines(join(dir, 'openai.valid.jsonl'))).toEqual(lines(join(cwd, 'corpus/valid.jsonl')));
    const share = lines(join(dir, 'sharegpt.train.jsonl'));
    expect(share).toHaveLength(source.length);
    expect(share[0].conversations.map((c: { from: string }) => c.from)).toEqual(['system', 'human', 'gpt']);
    expect(share[0].conversations[2].value).toBe(source[0].messages[2].content);
    const alpaca = lines(join(dir, 'alpaca.valid.jsonl'));
    expect(alpaca[0]).toEqual({ instruction: lines(join(cwd, 'corpus/valid.jsonl'))[0].messages[1].content, input: '', output: lines(join(cwd, 'corpus/valid.jsonl'))[0].messages[2].content, system: 'Please, rewrite the provided text in your style:' });

    const axolotl = parse(readFileSync(join(dir, 'axolotl.yaml'), 'utf8'));
    expect(axolotl).toMatchObject({
      base_model: 'Qwen/Qwen2.5-7B-Instruct',
      adapter: 'qlora',
      num_epochs: 2,
      chat_template: 'tokenizer_default',
      datasets: [{ path: 'openai.train.jsonl', type: 'chat_template', field_messages: 'messages', roles_to_train: ['assistant'] }],
      test_datasets: [{ path: 'openai.valid.jsonl', split: 'train', type: 'chat_template' }],
      output_dir: './outputs/pirate-styler',
    });
    const lf = parse(readFileSync(join(dir, 'llamafactory.yaml'), 'utf8'));
    expect(lf).toMatchObject({ model_name_or_path: 'Qwen/Qwen2.5-7B-Instruct', template: 'qwen', finetuning_type: 'lora', dataset: 'pirate_styler_train', eval_dataset: 'pirate_styler_valid', num_train_epochs: 2 });
    const info = JSON.parse(readFileSync(join(dir, 'dataset_info.json'), 'utf8'));
    expect(info.pirate_styler_train).toMatchObject({ file_name: 'sharegpt.train.jsonl', formatting: 'sharegpt' });

    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const check = await runInProcess(['train', 'check', '--style', 'pirate', '--data', 'corpus'], { env: {}, cwd });
    expect(check.stdout).toContain(`(${manifest.promptHash})`);
    expect(manifest).toMatchObject({ style: 'pirate', role: 'styler', examples: { train: 24, valid: 6 } });
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('vllm serve Qwen/Qwen2.5-7B-Instruct --enable-lora --lora-modules pirate-styler=./outputs/pirate-styler');
    expect(readme).toContain('restyle models add pirate --model pirate-styler --base-url http://localhost:8000/v1');
    // No store was opened: exporting needs neither a key nor a database.
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  it("LLaMA-Factory's template follows the base model (its README's table); an unknown one is left to set, and said", async () => {
    expect(['Qwen/Qwen2.5-7B-Instruct', 'Qwen/Qwen3-8B', 'meta-llama/Llama-3.1-8B-Instruct', 'meta-llama/Llama-2-7b-chat-hf', 'mistralai/Mistral-7B-Instruct-v0.3', 'mistralai/Mistral-Nemo-Instruct-2407', 'google/gemma-2-9b-it', 'google/gemma-3-12b-it', 'microsoft/Phi-3.5-mini-instruct', 'microsoft/phi-4', 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B', 'deepseek-ai/DeepSeek-R1-Distill-Llama-8B', 'acme/mystery-7b'].map(llamaFactoryTemplate)).toEqual([
      'qwen', 'qwen3', 'llama3', 'llama2', 'mistral', 'ministral', 'gemma', 'gemma3', 'phi', 'phi4', 'deepseekr1', 'deepseekr1', undefined,
    ]);
    const llama = await runInProcess(['train', '--provider', 'export', '-s', 'pirate', '--data', 'corpus', '--base-model', 'meta-llama/Llama-3.1-8B-Instruct', '--out', 'out/llama'], { env: {}, cwd });
    expect(llama.code, llama.stderr).toBe(0);
    expect(parse(readFileSync(join(cwd, 'out/llama/llamafactory.yaml'), 'utf8'))).toMatchObject({ model_name_or_path: 'meta-llama/Llama-3.1-8B-Instruct', template: 'llama3' });
    const unknown = await runInProcess(['train', '--provider', 'export', '-s', 'pirate', '--data', 'corpus', '--base-model', 'acme/mystery-7b', '--out', 'out/mystery'], { env: {}, cwd });
    expect(unknown.code, unknown.stderr).toBe(0);
    expect(parse(readFileSync(join(cwd, 'out/mystery/llamafactory.yaml'), 'utf8')).template).toBe('SET-ME-to-the-base-model-chat-template');
    expect(unknown.stdout + unknown.stderr).toContain('LLaMA-Factory has no template restyle knows for acme/mystery-7b');
  });

  it('--destyler exports the reverse pairs; --out picks the directory; --data may name a file in the corpus folder', async () => {
    const r = await runInProcess(['train', '--provider', 'export', '-s', 'pirate', '--data', 'corpus/destyle.valid.jsonl', '--destyler', '--out', 'out/de'], { env: {}, cwd });
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(join(cwd, 'out/de/openai.train.jsonl'));
    expect(rows).toEqual(lines(join(cwd, 'corpus/destyle.train.jsonl')));
    expect(JSON.parse(readFileSync(join(cwd, 'out/de/manifest.json'), 'utf8')).role).toBe('destyler');
    expect(readFileSync(join(cwd, 'out/de/README.md'), 'utf8')).toContain('restyle models add pirate --destyler --model pirate-destyler');
  });

  it('the README section on serving exists in docs/training.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/training.md'), 'utf8');
    expect(doc).toMatch(/vllm serve/);
    expect(doc).toMatch(/ollama create/);
    expect(doc).toMatch(/baseUrl/);
    expect(doc).toMatch(/--provider export/);
  });
});

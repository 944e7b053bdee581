import { stringify } from 'yaml';

export interface TrainerConfigInput {
  style: string;
  role: string;
  baseModel: string;
  epochs: number;
  /** File names relative to the export directory. */
  train: string;
  valid?: string;
  /** sharegpt file names for LLaMA-Factory. */
  sharegptTrain: string;
  sharegptValid?: string;
}

export const DEFAULT_OPEN_BASE_MODEL = 'Qwen/Qwen2.5-7B-Instruct';

/**
 * A QLoRA config for axolotl (https://docs.axolotl.ai) that trains on the OpenAI-format files with the base
 * model's own chat template, so the prompt the served model sees (system + user through the same template,
 * via vLLM's or Ollama's chat endpoint) is the one it was trained on. Loss on the assistant turn only.
 */
export function axolotlConfig(c: TrainerConfigInput): string {
  const config: Record<string, unknown> = {
    base_model: c.baseModel,
    load_in_4bit: true,
    adapter: 'qlora',
    lora_r: 16,
    lora_alpha: 32,
    lora_dropout: 0.05,
    lora_target_linear: true,
    chat_template: 'tokenizer_default',
    datasets: [{ path: c.train, ds_type: 'json', type: 'chat_template', field_messages: 'messages', roles_to_train: ['assistant'] }],
    ...(c.valid ? { test_datasets: [{ path: c.valid, ds_type: 'json', split: 'train', type: 'chat_template', field_messages: 'messages', roles_to_train: ['assistant'] }] } : { val_set_size: 0.05 }),
    dataset_prepared_path: 'last_run_prepared',
    output_dir: `./outputs/${c.style}-${c.role}`,
    sequence_len: 4096,
    sample_packing: false,
    num_epochs: c.epochs,
    micro_batch_size: 2,
    gradient_accumulation_steps: 8,
    optimizer: 'adamw_torch',
    lr_scheduler: 'cosine',
    learning_rate: 0.0002,
    warmup_ratio: 0.05,
    bf16: 'auto',
    gradient_checkpointing: true,
    logging_steps: 10,
    evals_per_epoch: 4,
    saves_per_epoch: 1,
    save_total_limit: 4,
  };
  return `# axolotl QLoRA config written by restyle for style "${c.style}" (${c.role}).\n# Train:  axolotl train axolotl.yaml      Serve: see README.md in this directory.\n${stringify(config)}`;
}

/** LLaMA-Factory (https://github.com/hiyouga/LLaMA-Factory): dataset_info.json entries for the ShareGPT files. */
export function llamaFactoryDatasetInfo(c: TrainerConfigInput): string {
  const entry = (file: string) => ({
    file_name: file,
    formatting: 'sharegpt',
    columns: { messages: 'conversations', system: 'system' },
    tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt', system_tag: 'system' },
  });
  const info: Record<string, unknown> = { [`${c.style}_${c.role}_train`]: entry(c.sharegptTrain) };
  if (c.sharegptValid) info[`${c.style}_${c.role}_valid`] = entry(c.sharegptValid);
  return `${JSON.stringify(info, null, 2)}\n`;
}

/**
 * LLaMA-Factory's chat template for a base model, by its name, after the supported-models table of
 * LLaMA-Factory's README (hiyouga/LLaMA-Factory): the first pattern that matches. Undefined when unknown.
 */
const LLAMA_FACTORY_TEMPLATES: ReadonlyArray<[RegExp, string]> = [
  // Before the families they are distilled from (DeepSeek-R1-Distill-Qwen-7B is deepseekr1, not qwen).
  [/deepseek-r1/, 'deepseekr1'],
  [/deepseek-v(2\.5|3)/, 'deepseek3'],
  [/qwen3/, 'qwen3'],
  [/qwen|qwq/, 'qwen'],
  [/llama-?4/, 'llama4'],
  [/llama-?3/, 'llama3'],
  [/llama-?2/, 'llama2'],
  [/mistral-small/, 'mistral_small'],
  [/ministral|mistral-nemo/, 'ministral'],
  [/mistral|mixtral/, 'mistral'],
  [/gemma-?3/, 'gemma3'],
  [/gemma/, 'gemma'],
  [/phi-?4/, 'phi4'],
  [/phi-?3/, 'phi'],
  [/glm-?4/, 'glm4'],
  [/(^|\/)yi-/, 'yi'],
];

export function llamaFactoryTemplate(baseModel: string): string | undefined {
  const name = baseModel.toLowerCase();
  return LLAMA_FACTORY_TEMPLATES.find(([pattern]) => pattern.test(name))?.[1];
}

/** What `template:` says when the base model's template is not known: LLaMA-Factory refuses it, rather than train with another model's. */
export const UNKNOWN_TEMPLATE = 'SET-ME-to-the-base-model-chat-template';

/** A LLaMA-Factory LoRA SFT config using those datasets (`llamafactory-cli train llamafactory.yaml`). */
export function llamaFactoryConfig(c: TrainerConfigInput): string {
  const config: Record<string, unknown> = {
    model_name_or_path: c.baseModel,
    stage: 'sft',
    do_train: true,
    finetuning_type: 'lora',
    lora_target: 'all',
    lora_rank: 16,
    dataset_dir: '.',
    dataset: `${c.style}_${c.role}_train`,
    ...(c.sharegptValid ? { eval_dataset: `${c.style}_${c.role}_valid`, eval_strategy: 'steps', eval_steps: 100, per_device_eval_batch_size: 2 } : {}),
    template: llamaFactoryTemplate(c.baseModel) ?? UNKNOWN_TEMPLATE,
    cutoff_len: 4096,
    output_dir: `saves/${c.style}-${c.role}`,
    num_train_epochs: c.epochs,
    per_device_train_batch_size: 2,
    gradient_accumulation_steps: 8,
    learning_rate: 0.0002,
    lr_scheduler_type: 'cosine',
    warmup_ratio: 0.05,
    bf16: true,
    logging_steps: 10,
    save_steps: 200,
    plot_loss: true,
  };
  return `# LLaMA-Factory LoRA config written by restyle for style "${c.style}" (${c.role}).\n# "template" is the base model's chat template (qwen for Qwen2.5, llama3, mistral, gemma…): the one used to serve it.\n${stringify(config)}`;
}

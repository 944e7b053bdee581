export interface ExportReadmeInput {
  style: string;
  role: 'styler' | 'destyler';
  baseModel: string;
  /** LLaMA-Factory's chat template for the base model, when restyle knows it. */
  template?: string;
  examples: { train: number; valid: number };
  promptHash: string;
  dataHash: string;
}

/** The README written next to an export: train, serve behind an OpenAI-compatible endpoint, register. */
export function exportReadme(r: ExportReadmeInput): string {
  const name = `${r.style}-${r.role}`;
  const destyler = r.role === 'destyler' ? ' --destyler' : '';
  return `# ${r.style} ${r.role}: training data and configs

Written by \`restyle train --provider export\`: ${r.examples.train} training and ${r.examples.valid} validation examples
(data ${r.dataHash}, prompt ${r.promptHash}). Every example's system message is the style's prompt, literally:
the served model must be asked with the same prompt, which restyle does as long as \`styles.${r.style}\` keeps it.

| file | for |
| --- | --- |
| \`openai.train.jsonl\`, \`openai.valid.jsonl\` | OpenAI-format chat (\`{"messages": […]}\`): axolotl \`chat_template\`, Unsloth, TRL, hosted APIs |
| \`sharegpt.*.jsonl\` | ShareGPT (\`conversations\`, \`from\`/\`value\`): LLaMA-Factory, older axolotl |
| \`alpaca.*.jsonl\` | Alpaca with a \`system\` column (instruction = the neutral text) |
| \`axolotl.yaml\` | a QLoRA config for axolotl on \`${r.baseModel}\` |
| \`llamafactory.yaml\`, \`dataset_info.json\` | the same for LLaMA-Factory |
| \`manifest.json\` | style, role, hashes: \`restyle models add --data\` reads it |

## 1. Train (a GPU with ≥ 24 GB for a 7–8B model in 4-bit)

\`\`\`sh
pip install axolotl           # see https://docs.axolotl.ai for CUDA specifics
axolotl train axolotl.yaml    # writes the LoRA adapter to ./outputs/${name}
\`\`\`

Or LLaMA-Factory: \`llamafactory-cli train llamafactory.yaml\`, which writes it to \`./saves/${name}\` (use that path
below); its \`template:\` must be the base model's chat template${r.template ? ` (\`${r.template}\` for ${r.baseModel})` : ` (restyle knows none for ${r.baseModel}: set it)`}.

Watch \`eval_loss\` in the log: it should fall and level off. If it rises while the training loss keeps
falling, use an earlier checkpoint (\`./outputs/${name}/checkpoint-N\`). A validation loss near 0.005 means train
and valid share text: rebuild the corpus split by source document.

## 2. Serve it behind an OpenAI-compatible endpoint

vLLM serves the base model with the adapter under its own name:

\`\`\`sh
vllm serve ${r.baseModel} --enable-lora --lora-modules ${name}=./outputs/${name} \\
  --max-lora-rank 16 --port 8000 --api-key "$VLLM_API_KEY"
curl -s localhost:8000/v1/models -H "authorization: Bearer $VLLM_API_KEY"   # lists ${name}
\`\`\`

Ollama: merge the adapter into the base model (\`axolotl merge-lora axolotl.yaml\`), import the merged weights
(\`FROM ./outputs/${name}/merged\` in a Modelfile, or a GGUF made with llama.cpp's \`convert_hf_to_gguf.py\`),
keep the base model's chat TEMPLATE, and \`ollama create ${name} -f Modelfile\`; it is served at
\`http://localhost:11434/v1\`.

## 3. Point the style at it

\`\`\`sh
export VLLM_API_KEY=…          # any value for a server without keys
restyle models add ${r.style}${destyler} --model ${name} --base-url http://localhost:8000/v1 --api-key-env VLLM_API_KEY --data .
restyle eval --style ${r.style} --data ../../valid.jsonl   # gate on content kept and style strength
\`\`\`

Or in \`config/restyle.yaml\`: \`styles.${r.style}.${r.role === 'styler' ? 'model' : 'destyler'}: ${name}\` and \`baseUrl: http://localhost:8000/v1\`
(with \`apiKeyEnv: VLLM_API_KEY\`).
`;
}

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../../src/config/load.js';
import { analyseCurves, recommendCheckpoint } from '../../src/training/analysis.js';
import { lossChartSvg } from '../../src/training/chart-svg.js';
import { lossChartText } from '../../src/training/chart-text.js';
import { loadDataSet } from '../../src/training/dataset.js';
import { explainTrainingError, jobFailure } from '../../src/training/errors.js';
import { readExamples } from '../../src/training/examples.js';
import { checkLeakage } from '../../src/training/leakage.js';
import { mergePoints, metricFromEvent } from '../../src/training/metrics.js';
import { matchPrompt, promptPattern } from '../../src/training/prompt-match.js';
import { providerName } from '../../src/training/provider.js';
import { watchPrinter } from '../../src/training/render.js';
import { PassThrough } from 'node:stream';
import type { CheckpointInfo, JobRecord, MetricPoint } from '../../src/training/types.js';
import { RestyleError } from '../../src/errors.js';
import { CURVES } from '../fakes/openai-finetune.js';
import { tmpDir } from '../support/tmp.js';
import { writeCorpus } from './corpus.js';

const settings = settingsFrom({ styles: { pirate: { model: 'ft:pirate' }, toned: { model: 'm', prompt: 'Rewrite in your style, {{tone}} tone, {{mood}} mood ({{tone}}):' } } }, {});
const pirate = settings.styles.pirate!;

/** Points and per-epoch checkpoints from one of the fake's curves. */
function curve(name: keyof typeof CURVES, total = 30, perEpoch = 10): { points: MetricPoint[]; checkpoints: CheckpointInfo[] } {
  const points: MetricPoint[] = [];
  const checkpoints: CheckpointInfo[] = [];
  for (let s = 1; s <= total; s++) {
    const { train, valid } = CURVES[name](s, total);
    points.push({ step: s, trainLoss: train, validLoss: valid });
    if (s % perEpoch === 0) checkpoints.push({ id: `c${s}`, step: s, model: `ft:x:ckpt-step-${s}`, trainLoss: train, validLoss: valid, fullValidLoss: valid * 1.02 });
  }
  return { points, checkpoints };
}

describe('prompt matching', () => {
  it('matches renderings of a template and recovers the parameters', () => {
    const t = settings.styles.toned!.prompt;
    expect(matchPrompt(t, 'Rewrite in your style, dry tone, calm mood (dry):')).toEqual({ tone: 'dry', mood: 'calm' });
    // A repeated parameter must repeat the same value.
    expect(matchPrompt(t, 'Rewrite in your style, dry tone, calm mood (wet):')).toBeNull();
    expect(matchPrompt(pirate.prompt, pirate.prompt)).toEqual({});
    expect(promptPattern(pirate.prompt).test(`${pirate.prompt} `)).toBe(false);
    expect(promptPattern('a.b (c)?').test('a.b (c)?')).toBe(true);
    expect(promptPattern('a.b (c)?').test('axb (c)')).toBe(false);
  });
});

describe('metric events', () => {
  it('reads OpenAI metrics events and falls back to the message text', () => {
    expect(metricFromEvent({ id: 'e', created_at: 0, level: 'info', message: 'Step 3/12: …', type: 'metrics', data: { step: 3, train_loss: 1.5, valid_loss: 1.7, total_steps: 12, full_valid_loss: 1.8 } })).toEqual({
      point: { step: 3, trainLoss: 1.5, validLoss: 1.7, fullValidLoss: 1.8 },
      totalSteps: 12,
    });
    expect(metricFromEvent({ id: 'e', created_at: 0, level: 'info', message: 'Step 7/100: training loss=0.52, validation loss=0.61' })).toEqual({ point: { step: 7, trainLoss: 0.52, validLoss: 0.61 }, totalSteps: 100 });
    expect(metricFromEvent({ id: 'e', created_at: 0, level: 'info', message: 'Fine-tuning job started' })).toBeNull();
  });

  it('merges points by step', () => {
    expect(mergePoints([{ step: 2, trainLoss: 1 }], [{ step: 1, trainLoss: 2 }, { step: 2, fullValidLoss: 0.9 }])).toEqual([
      { step: 1, trainLoss: 2 },
      { step: 2, trainLoss: 1, fullValidLoss: 0.9 },
    ]);
  });
});

describe('checkpoints and curve analysis', () => {
  it('recommends the lowest full validation loss', () => {
    const { checkpoints } = curve('overfit');
    const best = recommendCheckpoint(checkpoints)!;
    expect(best.by).toBe('full validation loss');
    expect(best.loss).toBe(Math.min(...checkpoints.map((c) => c.fullValidLoss!)));
    expect(best.checkpoint.step).toBe(10);
    expect(recommendCheckpoint([])).toBeNull();
  });

  it('warns on overfitting (valid rising while train falls), not on a healthy run', () => {
    const bad = curve('overfit');
    const findings = analyseCurves(bad.points, bad.checkpoints);
    expect(findings.map((f) => f.kind)).toEqual(['overfitting']);
    expect(findings[0]!.message).toMatch(/validation loss rose from .* at step 10 to .* at step 30 while training loss fell/);
    const good = curve('good');
    expect(analyseCurves(good.points, good.checkpoints)).toEqual([]);
  });

  it('warns on an implausibly low validation loss and points at the leakage check', () => {
    const leak = curve('leak');
    const findings = analyseCurves(leak.points, leak.checkpoints, { checkCommand: 'restyle train check --style pirate --data corpus' });
    expect(findings.map((f) => f.kind)).toContain('leakage');
    expect(findings.find((f) => f.kind === 'leakage')!.message).toMatch(/implausibly low .* restyle train check --style pirate --data corpus .* split by source document/);
  });
});

describe('charts', () => {
  it('draws an SVG with a polyline per series, checkpoint dots and the recommended step', () => {
    const { points, checkpoints } = curve('overfit');
    const svg = lossChartSvg(points, { title: 'pirate <styler>', checkpoints, recommendedStep: 10 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const train = /<polyline class="train"[^>]*points="([^"]+)"/.exec(svg)![1]!.split(' ');
    expect(train).toHaveLength(30);
    expect(/<polyline class="valid"[^>]*points="([^"]+)"/.exec(svg)![1]!.split(' ')).toHaveLength(30);
    expect(svg.match(/class="full-valid-point"/g)).toHaveLength(3);
    expect(svg).toContain('class="recommended"');
    expect(svg).toContain('pirate &lt;styler&gt;');
    // Falling training loss: the last point is drawn lower (larger y) than the first.
    const y = (p: string) => Number(p.split(',')[1]);
    expect(y(train.at(-1)!)).toBeGreaterThan(y(train[0]!));
    expect(lossChartSvg([])).toContain('no metrics yet');
  });

  it('draws the curves in the terminal with a legend and the step range', () => {
    const { points, checkpoints } = curve('good');
    const lines = lossChartText(points, { checkpoints, width: 40, height: 10 });
    expect(lines).toHaveLength(13);
    expect(lines.join('\n')).toMatch(/·/);
    expect(lines.join('\n')).toMatch(/•/);
    expect(lines.join('\n')).toMatch(/◆/);
    expect(lines.at(-2)).toMatch(/step 1\s+30$/);
    expect(lines.at(-1)).toContain('· training loss');
    // The highest loss is on the first row's label.
    expect(Number(lines[0]!.split('┤')[0])).toBeCloseTo(Math.max(...points.map((p) => Math.max(p.trainLoss!, p.validLoss!))), 2);
  });
});

describe('training data', () => {
  it('loads, checks and hashes a corpus directory', async () => {
    const dir = writeCorpus(join(tmpDir('units'), 'corpus'));
    const data = await loadDataSet(dir, 'styler', pirate, '/');
    expect(data.examples).toEqual({ train: 24, valid: 6 });
    expect(data.dataHash).toMatch(/^[0-9a-f]{16}$/);
    expect(data.split).toBe('document');
    const de = await loadDataSet(dir, 'destyler', pirate, '/');
    expect(de.train.endsWith('destyle.train.jsonl')).toBe(true);
    expect(de.dataHash).not.toBe(data.dataHash);
    expect(de.promptHash).not.toBe(data.promptHash);
  });

  it('names what is wrong: no directory, no train.jsonl, a bad line, a different prompt', async () => {
    const cwd = tmpDir('units');
    await expect(loadDataSet('nowhere', 'styler', pirate, cwd)).rejects.toThrow(/^nowhere: no such directory/);
    const dir = writeCorpus(join(cwd, 'corpus'));
    writeFileSync(join(dir, 'train.jsonl'), '');
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'train.jsonl'));
    await expect(loadDataSet('corpus', 'styler', pirate, cwd)).rejects.toThrow(/^corpus has no train\.jsonl \(it has destyle\.train\.jsonl/);

    writeCorpus(join(cwd, 'c2'));
    const lines = readFileSync(join(cwd, 'c2/train.jsonl'), 'utf8').split('\n');
    lines[2] = '{"messages": [oops';
    writeFileSync(join(cwd, 'c2/train.jsonl'), lines.join('\n'));
    const bad = await loadDataSet('c2', 'styler', pirate, cwd).catch((e: RestyleError) => e);
    expect(bad).toBeInstanceOf(RestyleError);
    expect((bad as RestyleError).code).toBe('file_invalid');
    expect((bad as RestyleError).message).toMatch(/^c2\/train\.jsonl:3: not valid JSON/);

    writeCorpus(join(cwd, 'c3'), { prompt: 'Talk like a pirate:' });
    await expect(loadDataSet('c3', 'styler', pirate, cwd)).rejects.toThrow(/^c3\/train\.jsonl:1: system prompt "Talk like a pirate:" is not styles\.pirate\.prompt; .*literally match/);
  });

  it('finds validation examples that share text with training', async () => {
    const cwd = tmpDir('units');
    const clean = writeCorpus(join(cwd, 'clean'));
    const leaky = writeCorpus(join(cwd, 'leaky'), { leak: true });
    const report = async (dir: string) => checkLeakage(await readExamples(join(dir, 'train.jsonl')), await readExamples(join(dir, 'valid.jsonl')));
    expect((await report(clean)).lines).toEqual([]);
    const r = await report(leaky);
    expect(r.sameOutput).toBe(6);
    expect(r.lines).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.rate).toBe(1);
    // Overlapping, not identical: most word 5-grams shared.
    const near = checkLeakage(
      [{ line: 1, system: '', user: 'a', assistant: 'one two three four five six seven eight nine ten eleven twelve' }],
      [{ line: 1, system: '', user: 'b', assistant: 'one two three four five six seven eight nine ten and more words' }],
    );
    expect(near.nearDuplicates).toBe(1);
  });
});

describe('errors', () => {
  it('403 training_not_available says to use --provider export', () => {
    const e = explainTrainingError(new RestyleError('training_not_available', 'x'), { style: 'pirate', dataDir: 'corpus', baseUrl: 'https://api.openai.com/v1' });
    expect(e.message).toMatch(/403 training_not_available.*Next: restyle train --provider export --style pirate --data corpus/);
    expect(e.message).not.toContain('\n');
  });

  it('a failed job with an invalid file names the file and line', () => {
    const e = jobFailure({ code: 'invalid_training_file', message: 'The job failed due to an invalid training file. Invalid file format. Line 7, key "messages": required', param: 'training_file' }, { jobId: 'ftjob-1', params: { training_file: 'corpus/train.jsonl' } });
    expect(e.code).toBe('file_invalid');
    expect(e.message).toMatch(/^corpus\/train\.jsonl:7: job ftjob-1 failed: /);
  });

  it('an unknown provider lists the known ones', () => {
    expect(() => providerName('sagemaker')).toThrow('--provider sagemaker: unknown training provider; known: openai, export');
    expect(providerName('export')).toBe('export');
  });
});

describe('watch output', () => {
  const job = (step: number, status: JobRecord['status'] = 'running'): JobRecord => ({
    id: 'ftjob-1', provider: 'openai', baseUrl: 'u', apiKeyEnv: 'K', style: 'pirate', role: 'styler', baseModel: 'b', dataDir: null,
    files: { train: null, valid: null }, dataHash: null, promptHash: null, status, fineTunedModel: null, lastEventId: null, log: [],
    totalSteps: 100, metrics: step ? [{ step, trainLoss: 1, validLoss: 1.2 }] : [], checkpoints: [], registered: null, use: false,
    createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
  });
  const capture = (tty: boolean) => {
    const out = Object.assign(new PassThrough(), { isTTY: tty });
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    return { out, text: () => text };
  };
  const ev = (message: string) => ({ id: message, created_at: 0, level: 'info', message, type: 'message' });

  it('on a terminal redraws one progress line in place, events above it', () => {
    const c = capture(true);
    const p = watchPrinter(c.out);
    p.update({ job: job(1), events: [ev('Fine-tuning job started')] });
    p.update({ job: job(2), events: [] });
    p.end();
    const [first, second] = c.text().split('\r\u001b[2K');
    expect(first).toMatch(/^ {2}Fine-tuning job started\nftjob-1 · running · step 1\/100 \(1%\)[^\n]*$/);
    expect(second).toMatch(/^ftjob-1 · running · step 2\/100[^\n]*\n$/);
  });

  it('in a log prints a line per tenth of the steps and per status change, not per poll', () => {
    const c = capture(false);
    const p = watchPrinter(c.out);
    for (let s = 1; s <= 100; s++) p.update({ job: job(s), events: [] });
    p.update({ job: job(100, 'succeeded'), events: [ev('The job has successfully completed')] });
    const lines = c.text().trim().split('\n');
    expect(lines.filter((l) => l.startsWith('ftjob-1 · running'))).toHaveLength(11);
    expect(lines.at(-2)).toBe('  The job has successfully completed');
    expect(lines.at(-1)).toMatch(/^ftjob-1 · succeeded · step 100\/100 \(100%\)/);
  });
});

import type { TokenUsage } from './types.js';

/** Totals for one model: tokens and how many requests produced them. */
export interface ModelUsage extends TokenUsage {
  requests: number;
}

export interface UsageSnapshot {
  total: ModelUsage;
  byModel: Record<string, ModelUsage>;
}

const zero = (): ModelUsage => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0, requests: 0 });

/**
 * Tokens and requests per model, accumulated over the process (or one corpus run). Cheap to update on
 * every request; `snapshot()` returns copies so callers can diff two snapshots.
 */
export class UsageMeter {
  private readonly models = new Map<string, ModelUsage>();

  /** Record one request's usage (`requests` defaults to 1; pass 0 to add tokens only). */
  add(model: string, usage: Partial<TokenUsage>, requests = 1): void {
    let m = this.models.get(model);
    if (!m) {
      m = zero();
      this.models.set(model, m);
    }
    const prompt = usage.promptTokens ?? 0;
    const completion = usage.completionTokens ?? 0;
    m.promptTokens += prompt;
    m.completionTokens += completion;
    m.totalTokens += usage.totalTokens ?? prompt + completion;
    m.requests += requests;
  }

  snapshot(): UsageSnapshot {
    const total = zero();
    const byModel: Record<string, ModelUsage> = {};
    for (const [model, u] of this.models) {
      byModel[model] = { ...u };
      total.promptTokens += u.promptTokens;
      total.completionTokens += u.completionTokens;
      total.totalTokens += u.totalTokens;
      total.requests += u.requests;
    }
    return { total, byModel };
  }

  reset(): void {
    this.models.clear();
  }
}

import type { Settings } from '../config/load.js';
import { getStyle } from '../config/load.js';
import { RestyleError } from '../errors.js';

/** What a proxied request asked for: the style to apply (or none) and the model to ask upstream. */
export interface StyleChoice {
  style: string | null;
  /** The model id sent upstream, with any `style/` prefix removed. */
  model: string;
  /** How the style was chosen, for the response's `restyle` summary and logs. */
  by: 'header' | 'model' | 'token' | 'default' | 'none';
}

export interface ChoiceInput {
  /** The request's `model` field. */
  model: unknown;
  /** `X-Restyle-Style`, when sent. */
  header?: string | undefined;
  /** The style bound to the caller's token, when the token is one of `proxy.tokens`. */
  tokenStyle?: string | undefined;
}

/**
 * Pick the style for a proxied chat completion. In order: the `X-Restyle-Style` header (an unknown name is
 * an error); a model named `<style>/<model>` or just `<style>` where `<style>` is a configured style (model
 * ids such as `meta-llama/Llama-3` whose first part is no style pass through untouched); the caller token's
 * style; `proxy.defaultStyle`. A header of `none` turns styling off for the request.
 */
export function chooseStyle(settings: Pick<Settings, 'styles' | 'proxy'>, input: ChoiceInput): StyleChoice {
  if (typeof input.model !== 'string' || input.model.trim() === '') {
    throw new RestyleError('input_invalid', 'model: required (a string such as "pirate/gpt-4.1-mini")', { details: { status: 400 } });
  }
  const { prefix, rest } = splitModel(input.model);
  const prefixed = prefix !== null && Object.hasOwn(settings.styles, prefix);
  const bare = prefix === null && Object.hasOwn(settings.styles, input.model);
  let model = input.model;
  if (prefixed) model = rest;
  if (bare) {
    if (!settings.proxy.defaultModel) {
      throw new RestyleError('input_invalid', `model: "${input.model}" is a style; name the model too ("${input.model}/gpt-4.1-mini") or set proxy.defaultModel`, {
        details: { status: 400 },
      });
    }
    model = settings.proxy.defaultModel;
  }
  const header = input.header?.trim();
  if (header) {
    if (header.toLowerCase() === 'none') return { style: null, model, by: 'header' };
    return { style: getStyle(settings, header).name, model, by: 'header' };
  }
  if (prefixed) return { style: prefix, model, by: 'model' };
  if (bare) return { style: input.model, model, by: 'model' };
  if (input.tokenStyle) return { style: input.tokenStyle, model, by: 'token' };
  if (settings.proxy.defaultStyle) return { style: settings.proxy.defaultStyle, model, by: 'default' };
  return { style: null, model, by: 'none' };
}

function splitModel(model: string): { prefix: string | null; rest: string } {
  const slash = model.indexOf('/');
  if (slash <= 0 || slash === model.length - 1) return { prefix: null, rest: model };
  return { prefix: model.slice(0, slash), rest: model.slice(slash + 1) };
}

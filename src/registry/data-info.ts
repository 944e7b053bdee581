import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Style } from '../config/load.js';
import { RestyleError } from '../errors.js';
import { loadDataSet } from '../training/dataset.js';
import type { ModelRole } from './types.js';

export interface DataInfo {
  promptHash: string;
  dataHash: string;
  baseModel?: string;
}

/**
 * What a model was trained on, for `restyle models add --data DIR`: an export's manifest.json, or the
 * corpus files themselves (checked and hashed like `restyle train` does).
 */
export async function dataInfo(dirArg: string, role: ModelRole, style: Style, cwd: string): Promise<DataInfo> {
  const dir = resolve(cwd, dirArg);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    let m: { promptHash?: unknown; dataHash?: unknown; baseModel?: unknown; role?: unknown; style?: unknown };
    try {
      m = JSON.parse(readFileSync(manifest, 'utf8')) as typeof m;
    } catch {
      throw new RestyleError('file_invalid', `${dirArg}/manifest.json: not valid JSON`);
    }
    if (typeof m.promptHash !== 'string' || typeof m.dataHash !== 'string') throw new RestyleError('file_invalid', `${dirArg}/manifest.json: promptHash and dataHash are required`);
    if (m.role !== undefined && m.role !== role) {
      throw new RestyleError('usage', `${dirArg}/manifest.json is for the ${String(m.role)}, not the ${role}${m.role === 'destyler' ? ': add --destyler' : ': drop --destyler'}`);
    }
    return { promptHash: m.promptHash, dataHash: m.dataHash, ...(typeof m.baseModel === 'string' ? { baseModel: m.baseModel } : {}) };
  }
  const data = await loadDataSet(dirArg, role, style, cwd);
  return { promptHash: data.promptHash, dataHash: data.dataHash };
}

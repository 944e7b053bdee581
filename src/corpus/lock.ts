import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { RestyleError } from '../errors.js';

/**
 * One build per output folder at a time: two runs appending to the same cache and renaming the same
 * files would interleave. The lock file holds the owner's pid; a lock left by a run that was killed
 * (its pid is gone) is taken over, so kill-and-resume needs no manual clean-up.
 */
export function lockDir(file: string, shown: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(file);
      if (owner && owner.host === hostname() && alive(owner.pid)) {
        throw new RestyleError('conflict', `${shown} is being built by another run (pid ${owner.pid}); wait for it, or stop it first`, { details: { pid: owner.pid } });
      }
      if (owner && owner.host !== hostname()) {
        throw new RestyleError('conflict', `${shown} is locked by a run on ${owner.host} (pid ${owner.pid}); if that run is gone, delete ${file}`, { details: { pid: owner.pid, host: owner.host } });
      }
      // Stale: the run that took it is gone (killed), or the lock is unreadable.
      rmSync(file, { force: true });
    }
  }
  throw new RestyleError('conflict', `${shown}: could not take the build lock`);
}

function readOwner(file: string): { pid: number; host: string } | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { pid: o.pid, host: o.host } : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

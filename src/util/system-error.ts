/** What the operating system's refusals mean to someone running a command (Node's own words are terse). */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device: free some and run the command again',
  EDQUOT: 'over the disk quota: free some space and run the command again',
  EACCES: 'permission denied: can this user read (or write) it?',
  EPERM: 'operation not permitted: can this user read (or write) it?',
  EROFS: 'on a read-only file system',
  EISDIR: 'is a folder, where a file was expected',
  ENOTDIR: 'part of this path is a file, where a folder was expected',
  ENOENT: 'no such file or folder',
  EMFILE: 'too many open files (raise the limit with ulimit -n)',
};

/** One line for a file system error (naming `path`, or the one Node gives), or undefined for anything else. */
export function systemErrorLine(error: unknown, path?: string): string | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  const reason = typeof e?.code === 'string' ? REASONS[e.code] : undefined;
  if (!reason) return undefined;
  const where = path ?? e!.path;
  return `${where ? `${where}: ` : ''}${reason} (${e!.code}${e!.syscall ? ` on ${e!.syscall}` : ''})`;
}

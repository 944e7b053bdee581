import type { IncomingMessage } from 'node:http';

/** The whole request body (the fakes record it before answering). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** JSON bodies parsed; anything else (or broken JSON) kept as text for the test to inspect. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function parseBody(raw: Buffer, contentType: string | undefined): any {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

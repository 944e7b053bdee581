import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('the docs stand on their own', () => {
  it('point at nothing outside the repository (the method lives in docs/method.md)', () => {
    for (const page of pages) expect(readFileSync(join(root, page), 'utf8'), page).not.toMatch(/shared\/seed|\.\.\/shared/);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('[docs/method.md](docs/method.md)');
  });

  it('every relative link resolves to a file', () => {
    for (const page of pages) {
      const text = readFileSync(join(root, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        expect(existsSync(resolve(root, dirname(page), target!)), `${page} → ${target}`).toBe(true);
      }
    }
  });
});

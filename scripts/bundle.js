// `npm run build`, after tsc wrote the declarations: the JavaScript in dist/ as esbuild bundles. The CLI
// (dist/app/main.js) and the package entries keep their paths; everything they import dynamically, and
// what several of them share, goes to dist/chunks/ (one copy of each module, so `instanceof RestyleError`
// holds across entries). zod, commander and yaml are bundled in: what `restyle bot` loads before its port
// opens (to parse and validate the config) is then a dozen files instead of ~120 ES modules (zod alone is 95)
// plus yaml's CommonJS files, and zod tree-shaken to what the code uses (bench/startup.bench.ts). Every other
// dependency stays an import of the installed package.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const BUNDLED = new Set(['zod', 'commander', 'yaml']);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(pkg.dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

await build({
  absWorkingDir: new URL('..', import.meta.url).pathname,
  entryPoints: ['app/main.ts', 'src/index.ts', 'adapters/slack/index.ts', 'adapters/discord/index.ts'],
  outdir: 'dist',
  outbase: '.',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // commander and yaml are CommonJS: their require() of Node built-ins needs a real `require` inside an ES module.
  banner: { js: "import { createRequire as __restyleCreateRequire } from 'node:module'; const require = __restyleCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

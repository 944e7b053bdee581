// Flat config: typescript-eslint's recommended rules, plus the architecture rules the design asks for.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', 'dist/', 'out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // src/ is platform-free: platform SDKs live in adapters/<platform>/ only, and the composition root
    // (app/) imports src/, never the other way. At any depth: test/lint/boundary.test.ts.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'discord.js', message: 'src/ is platform-free: Discord code lives in adapters/discord/.' }],
          patterns: [
            { regex: '(^|/)(adapters|app)(/|$)', message: 'src/ is platform-free: it never imports adapters/ or the composition root (app/); inject what it needs.' },
            { group: ['@slack/*', '@discordjs/*'], message: 'src/ is platform-free: Slack and Discord SDKs live in adapters/<platform>/.' },
          ],
        },
      ],
    },
  },
  {
    // `import * as z from 'zod'`: the namespace form lets esbuild keep only the zod the code uses
    // (scripts/bundle.js); `{ z }` or the default import pulls in every locale (~750 kB) before the port opens.
    files: ['src/**/*.ts', 'adapters/**/*.ts', 'app/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z'], ImportDeclaration[source.value='zod'][importKind!='type'] > ImportDefaultSpecifier",
          message: "Write `import * as z from 'zod'`: the whole `z` object defeats tree-shaking of the start-up bundle (scripts/bundle.js).",
        },
      ],
    },
  },
  {
    // Functions under ~80 lines: split a longer one by phase or subcommand (tests are exempt).
    files: ['src/**/*.ts', 'adapters/**/*.ts', 'app/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Only src/config reads the environment.
    files: ['src/**/*.ts', 'adapters/**/*.ts', 'app/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings from src/config and pass them in.' }],
    },
  },
);

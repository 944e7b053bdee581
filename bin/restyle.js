#!/usr/bin/env node
// The installed command runs the compiled JavaScript in dist/ (`npm run build`, run by `prepare` on
// `npm ci` and `npm pack`); tests run the TypeScript sources instead (test/support/restyle-ts.js).
let main;
try {
  ({ main } = await import('../dist/app/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('/dist/')) throw error;
  process.stderr.write('restyle: the compiled program (dist/) is missing: run `npm run build` first\n');
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));

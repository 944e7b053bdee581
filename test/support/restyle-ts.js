#!/usr/bin/env node
// The CLI from the TypeScript sources (through tsx), for tests and benches that spawn it: they must run
// the code as it is now, never a dist/ that an older `npm run build` left behind.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../../app/main.ts');
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// Entry point: the bundled CLI in dist/ (built by `npm run build`; a published package ships it).
// `run` is what an MCP client starts, on every server start: it goes to the lean entry
// dist/run.cjs (no commander, no other commands), run by dist/run-loader.js with a code cache
// (src/cli/run-loader.ts); it returns undefined for anything it does not parse itself (--help,
// unusual flags); that, and every other command, goes to the full CLI.
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
let code;
if (args[0] === 'run') {
  const { loadBundle } = await import('../dist/run-loader.js');
  const { runMain } = loadBundle(fileURLToPath(new URL('../dist/run.cjs', import.meta.url)));
  code = await runMain(args.slice(1));
}
if (code === undefined) {
  const { main } = await import('../dist/cli.js');
  code = await main();
}
process.exitCode = code;

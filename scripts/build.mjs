// Bundles the CLI into dist/ with esbuild: one ESM file loads faster than hundreds of modules,
// which matters because `mcp-sandbox run` sits between the AI client and the server on every start.
//
// Dependencies are bundled too (not `packages: 'external'`): resolving and loading commander,
// yaml, ajv, ajv-formats, execa, … as separate packages cost ~0.4 s and ~8 MB of RSS on every
// start (measured with `node bin/mcp-sandbox.js --version` on the 2-CPU bench machine: 0.55 s /
// 63 MB external vs 0.17 s / 55 MB bundled). `mainFields` prefers the ESM builds: jsonc-parser's
// UMD build requires its own files at run time, which a bundle cannot serve.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/cli/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  sourcemap: true,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

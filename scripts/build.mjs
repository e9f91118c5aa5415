// @ts-check
// Bundles the CLI into dist/ with esbuild: one ESM file loads faster than hundreds of modules,
// which matters because `mcp-sandbox run` sits between the AI client and the server on every start.
//
// Dependencies are bundled too (not `packages: 'external'`): resolving and loading commander,
// yaml, ajv, execa, … as separate packages cost ~0.35 s and ~8 MB of RSS on every start
// (`node bin/mcp-sandbox.js --version` on the 2-CPU bench machine: 0.55 s / 63 MB external vs
// 0.2 s / 55 MB bundled). `mainFields` prefers ESM builds: jsonc-parser's UMD build requires its
// own files at run time, which a bundle cannot serve.
//
// The profile validator is precompiled here (ajv standalone code): importing ajv and compiling
// the schema cost 0.35-0.7 s of every `run` start on that machine. src/profile/validate.ts keeps
// calling `new Ajv(...).compile(schema)`; in the bundle its `ajv` import resolves to a module
// whose compile() returns the function generated below with the same options. Tests (ts-jest)
// run the real ajv on the sources, and the CLI tests on the bundle check the same error lines.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Ajv } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VALIDATE_TS = path.join(ROOT, 'src', 'profile', 'validate.ts');
const SCHEMA = path.join(ROOT, 'schema', 'profile.schema.json');
// Must match src/profile/validate.ts; checked below so the two cannot drift apart silently.
const AJV_SOURCE_OPTIONS = '{ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }';
const AJV_SOURCE_KEYWORD = "{ keyword: 'x-expected', schemaType: 'string' }";

function precompiledAjv() {
  const source = readFileSync(VALIDATE_TS, 'utf8');
  if (!source.includes(`new Ajv(${AJV_SOURCE_OPTIONS})`) || !source.includes(`addKeyword(${AJV_SOURCE_KEYWORD})`)) {
    throw new Error(`scripts/build.mjs: the ajv options or keywords in ${VALIDATE_TS} changed; update AJV_SOURCE_OPTIONS/AJV_SOURCE_KEYWORD and the precompile below`);
  }
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, code: { source: true, esm: true } });
  ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
  const standalone = standaloneModule.default ?? standaloneModule;
  const code = standalone(ajv, ajv.compile(schema));
  return `${code}
const PRECOMPILED_ID = ${JSON.stringify(schema.$id)};
/** Stand-in for ajv's Ajv class in the bundle: knows exactly the profile schema, precompiled. */
export class Ajv {
  addKeyword() { return this; }
  compile(schema) {
    if (!schema || schema.$id !== PRECOMPILED_ID) throw new Error('the bundled validator is precompiled for ' + PRECOMPILED_ID + ' only (scripts/build.mjs)');
    return validate10;
  }
}
`;
}

/** @type {import('esbuild').Plugin} */
const precompiledAjvPlugin = {
  name: 'precompiled-ajv',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^ajv$/ }, (args) =>
      path.resolve(args.importer) === VALIDATE_TS ? { path: 'profile-validator', namespace: 'precompiled-ajv' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'precompiled-ajv' }, () => ({ contents: precompiledAjv(), loader: 'js', resolveDir: ROOT }));
  },
};

/** @type {import('esbuild').BuildOptions & { metafile: true }} */
const common = {
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  sourcemap: true,
  logLevel: 'warning',
  plugins: [precompiledAjvPlugin],
  metafile: true,
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

// The full CLI: commander and one lazily imported chunk per command.
const cli = await build({ ...common, entryPoints: { cli: 'src/cli/index.ts' } });

// `mcp-sandbox run` on its own (src/cli/run-entry.ts; bin/mcp-sandbox.js hands `run` to it), built
// separately so everything it needs at start is ONE file: with the full CLI in the same build,
// code splitting cut it into ~17 shared chunks, and every module file costs the ESM loader a
// read, a resolve and a compile (~0.5 ms each on the bench machine). What it imports only on
// demand (the YAML loader on a profile-cache miss, the yaml library for a user config file) stays
// in chunks of its own. The source is shared: both bundles call the same launch().
// Whitespace and syntax minified (names kept, so --debug stack traces still read): less to scan
// on every start.
const run = await build({ ...common, minifyWhitespace: true, minifySyntax: true, entryPoints: { run: 'src/cli/run-entry.ts' } });

// The watchdog a launcher starts beside its session (src/run/watchdog.ts): its own small file,
// loaded by a separate node process, never by the launcher.
const watchdog = await build({ ...common, splitting: false, minifyWhitespace: true, minifySyntax: true, entryPoints: { watchdog: 'src/run/watchdog-main.ts' } });

// `run`'s start path must not load the yaml library or commander: check what dist/run.js imports statically.
/** @type {Set<string>} */
const runStatic = new Set();
const visit = (/** @type {string} */ file) => {
  if (runStatic.has(file)) return;
  runStatic.add(file);
  for (const imported of run.metafile.outputs[file]?.imports ?? []) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
};
visit('dist/run.js');
for (const file of runStatic) {
  const forbidden = Object.keys(run.metafile.outputs[file]?.inputs ?? {}).filter((input) => /node_modules\/(yaml|commander|execa|chalk)\//.test(input));
  if (forbidden.length > 0) throw new Error(`scripts/build.mjs: dist/run.js loads ${forbidden[0]} at start (through ${file}); keep it behind a dynamic import`);
}

// Code splitting names chunks by content hash: drop chunks earlier builds left behind.
const outputs = new Set([cli, run, watchdog].flatMap((result) => Object.keys(result.metafile.outputs)).map((file) => path.resolve(ROOT, file)));
for (const name of readdirSync(path.join(ROOT, 'dist'))) {
  const file = path.join(ROOT, 'dist', name);
  if (/\.js(\.map)?$/.test(name) && !outputs.has(file)) rmSync(file, { force: true });
}

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
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Ajv } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';

// dist/run.cjs is one function expression with these parameters (src/cli/run-loader.ts calls it).
const RUN_BUNDLE_PARAMS = 'exports, require, module, __filename, __dirname, __bundleUrl';
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

// The libraries `run` uses only on demand (the gate's, the YAML loader's) stay out of dist/run.cjs:
// its source is held in memory by every launcher, and these were most of it. Each group is a
// CommonJS file of its own (dist/run-vendor-<group>.cjs), required the first time a module of
// the bundle imports one of them; a group's specifiers share their internals (ajv-formats
// works on ajv's own code generator), so they are one file.
/** @type {Record<string, string[]>} */
const RUN_VENDOR = {
  ajv: ['ajv', 'ajv/dist/2020.js', 'ajv-formats'],
  yaml: ['yaml'],
  picomatch: ['picomatch'],
  'jsonc-parser': ['jsonc-parser'],
  secretlint: ['@secretlint/secretlint-rule-preset-recommend'],
};
const VENDOR_OF = new Map(Object.entries(RUN_VENDOR).flatMap(([group, specifiers]) => specifiers.map((s) => [s, group])));

/** @type {import('esbuild').Plugin} */
const runVendorPlugin = {
  name: 'run-vendor',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/run-vendor-[a-z-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    pluginBuild.onResolve({ filter: /^[@a-z]/ }, (args) => (VENDOR_OF.has(args.path) ? { path: args.path, namespace: 'run-vendor' } : undefined));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'run-vendor' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`./run-vendor-${VENDOR_OF.get(args.path)}.cjs`)})[${JSON.stringify(args.path)}]();`,
      loader: 'js',
      resolveDir: ROOT,
    }));
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
// separately so that start-up loads only the launcher. It is ONE CommonJS file, dist/run.cjs,
// run as a script by dist/run-loader.js (src/cli/run-loader.ts) with a V8 code cache: node 20
// caches no compiled code for modules, and compiling the launcher and the functions its start
// calls was a large share of every start's CPU (BENCHMARKS.md, launcher start-up). CommonJS
// output cannot be split, so what `run` imports only on demand (the YAML loader on a
// profile-cache miss, the gate, egress) is in the same file, wrapped by esbuild so that it is
// evaluated only when imported; with the cache, V8 compiles none of it until then. The file is
// one function expression (banner and footer), the loader's wrapper: the script's source is the
// file as read, never a second copy. `import.meta.url` becomes its `__bundleUrl` parameter.
// Whitespace and syntax minified (names kept, so --debug stack traces still read): less to scan
// on every start.
const lean = { ...common, minifyWhitespace: true, minifySyntax: true };
const runVendor = await Promise.all(Object.entries(RUN_VENDOR).map(([group, specifiers]) =>
  build({
    ...lean,
    splitting: false,
    format: 'cjs',
    banner: {},
    stdin: { contents: `module.exports = {${specifiers.map((s) => `${JSON.stringify(s)}: () => require(${JSON.stringify(s)})`).join(', ')}};`, resolveDir: ROOT, sourcefile: `run-vendor-${group}.js` },
    outfile: `dist/run-vendor-${group}.cjs`,
    outdir: undefined,
  }),
));
const runCjs = await build({
  ...lean,
  plugins: [precompiledAjvPlugin, runVendorPlugin],
  splitting: false,
  format: 'cjs',
  banner: { js: `(function (${RUN_BUNDLE_PARAMS}) {` },
  footer: { js: '})' },
  outExtension: { '.js': '.cjs' },
  define: { 'import.meta.url': '__bundleUrl' },
  entryPoints: { run: 'src/cli/run-entry.ts' },
});
const runLoader = await build({ ...lean, splitting: false, entryPoints: { 'run-loader': 'src/cli/run-loader.ts' } });

// The same entry as split ESM, not written: its static imports are what `run` evaluates at
// start, which the check below reads.
const run = await build({ ...lean, write: false, entryPoints: { run: 'src/cli/run-entry.ts' } });

// The watchdog a launcher starts beside its session (src/run/watchdog.ts): its own small file,
// loaded by a separate node process, never by the launcher.
const watchdog = await build({ ...common, splitting: false, minifyWhitespace: true, minifySyntax: true, entryPoints: { watchdog: 'src/run/watchdog-main.ts' } });
// The keeper of spare egress sets (src/egress/spare-keeper.ts): its own file, like the watchdog.
const spares = await build({ ...common, splitting: false, minifyWhitespace: true, minifySyntax: true, entryPoints: { 'egress-spares': 'src/egress/spare-main.ts' } });

// `run`'s start path must not evaluate the yaml library or commander: check what its entry imports statically.
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
  if (forbidden.length > 0) throw new Error(`scripts/build.mjs: \`run\` evaluates ${forbidden[0]} at start (through ${file}); keep it behind a dynamic import`);
}

// Code splitting names chunks by content hash: drop chunks earlier builds left behind.
const outputs = new Set([cli, runCjs, runLoader, ...runVendor, watchdog, spares].flatMap((result) => Object.keys(result.metafile.outputs)).map((file) => path.resolve(ROOT, file)));
for (const name of readdirSync(path.join(ROOT, 'dist'))) {
  const file = path.join(ROOT, 'dist', name);
  if (/\.c?js(\.map)?$/.test(name) && !outputs.has(file)) rmSync(file, { force: true });
}

// The native shim a client starts for `run` (src/run/warm-shim.c, docs/run.md "warm start"): it
// hands a warm session to the pool reaper's broker so no node process starts, and execs node on
// bin/mcp-sandbox.js otherwise. Built only where a C compiler is (CC, else cc); without one the
// clients' entries keep starting node (src/clients/launcher.ts looks for the file). The node it
// execs is the one running this build, by absolute path (clients start servers with a minimal
// PATH), with `node` on PATH as the fallback when that one is gone.
const SHIM = path.join(ROOT, 'dist', 'native', 'mcp-sandbox');
const cc = process.env.CC || 'cc';
if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) {
  mkdirSync(path.dirname(SHIM), { recursive: true });
  const compiled = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-o', SHIM, path.join(ROOT, 'src', 'run', 'warm-shim.c'), `-DMCP_SANDBOX_NODE=${JSON.stringify(process.execPath)}`], { stdio: 'inherit' });
  if (compiled.status !== 0) throw new Error(`scripts/build.mjs: ${cc} could not build the native shim (src/run/warm-shim.c)`);
} else {
  rmSync(SHIM, { force: true });
  process.stderr.write(`build: no C compiler (${cc}): no native shim, clients start node for \`run\`\n`);
}

#!/usr/bin/env node
// Stage the production dependency closure of some packages out of an installed node_modules,
// following package-lock.json (lockfileVersion 2/3), for the offline test image.
//
//   node scripts/lib/stage-node-modules.mjs --lock package-lock.json --from node_modules \
//        [--to <dir>/node_modules] [--print-hash] PKG...
//
// --print-hash prints a hash of the closure (names, versions, integrity) and copies nothing.
// Otherwise copies every package of the closure to --to, keeping the lock's nested layout
// (a package's own nested node_modules is copied only as far as the closure needs it).
// Exits 3 when node_modules does not match the lock (run `npm ci`).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const opts = { lock: 'package-lock.json', from: 'node_modules', to: null, printHash: false };
const roots = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--lock') opts.lock = args[++i];
  else if (a === '--from') opts.from = args[++i];
  else if (a === '--to') opts.to = args[++i];
  else if (a === '--print-hash') opts.printHash = true;
  else roots.push(a);
}
if (!roots.length) {
  console.error('stage-node-modules: no packages given');
  process.exit(2);
}

const lock = JSON.parse(fs.readFileSync(opts.lock, 'utf8'));
const pkgs = lock.packages;
if (!pkgs) {
  console.error(`stage-node-modules: ${opts.lock} has no "packages" (lockfileVersion >= 2 needed)`);
  process.exit(2);
}

// Node's resolution over lock keys: from location `loc`, look in loc/node_modules/name, then
// in each ancestor's node_modules, then the top level.
function resolve(loc, name) {
  let base = loc;
  for (;;) {
    const key = (base ? `${base}/` : '') + `node_modules/${name}`;
    if (pkgs[key]) return key;
    if (!base) return null;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

const closure = new Set();
const queue = [];
for (const r of roots) {
  const key = resolve('', r);
  if (!key) {
    console.error(`stage-node-modules: ${r} is not in ${opts.lock}`);
    process.exit(2);
  }
  queue.push(key);
}
while (queue.length) {
  let key = queue.shift();
  if (closure.has(key)) continue;
  let entry = pkgs[key];
  if (entry.link && entry.resolved) {
    closure.add(key);
    key = entry.resolved;
    entry = pkgs[key];
    if (!entry || closure.has(key)) continue;
  }
  closure.add(key);
  const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
  const optional = new Set([
    ...Object.keys(entry.optionalDependencies || {}),
    ...Object.keys(entry.peerDependencies || {}),
  ]);
  for (const name of Object.keys(deps)) {
    const dep = resolve(key, name);
    if (dep) queue.push(dep);
    else if (!optional.has(name)) {
      console.error(`stage-node-modules: ${key} needs ${name}, which is not in the lock`);
      process.exit(2);
    }
  }
}

const keys = [...closure].sort();
if (opts.printHash) {
  const h = createHash('sha256');
  for (const k of keys) {
    const e = pkgs[k];
    h.update(`${k}\0${e.version || ''}\0${e.integrity || e.resolved || ''}\n`);
  }
  process.stdout.write(`${h.digest('hex')}\n`);
  process.exit(0);
}
if (!opts.to) {
  console.error('stage-node-modules: --to is required unless --print-hash');
  process.exit(2);
}

// node_modules/<pkg> in the lock maps to <from>/<pkg> on disk, <to>/<pkg> in the stage.
const rel = (k) => k.replace(/^node_modules\//, '');
let files = 0;
for (const k of keys) {
  const e = pkgs[k];
  if (e.link) continue;
  const src = path.join(opts.from, rel(k));
  const dst = path.join(opts.to, rel(k));
  let installed;
  try {
    installed = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8')).version;
  } catch {
    installed = null;
  }
  if (installed !== e.version) {
    if (!installed && (e.optional || e.peer)) continue; // not installed on this platform
    console.error(
      `stage-node-modules: ${src} is ${installed ? `version ${installed}` : 'missing'}, lock says ${e.version}: run npm ci`,
    );
    process.exit(3);
  }
  const ownNodeModules = path.join(src, 'node_modules');
  fs.cpSync(src, dst, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (s) => {
      if (s === ownNodeModules) return false; // nested deps are staged from their own lock keys
      files++;
      return true;
    },
  });
}
console.error(`stage-node-modules: staged ${keys.length} packages (${files} files) into ${opts.to}`);

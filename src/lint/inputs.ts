/**
 * Turning lint arguments into files: a file as is, a directory recursively (its .yaml/.yml
 * files), and a glob (`*`, `**`, `?`, `{a,b}`, `[...]`) matched with a small matcher; Node 20
 * has no stable fs.glob and a glob dependency is not worth it for this.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const PROFILE_FILE = /\.ya?ml$/i;
const SKIP_DIRS = new Set(['node_modules', '.git']);

/** A glob as a regular expression over '/'-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches zero or more directories; a trailing "**" matches anything.
        if (glob[i + 2] === '/') {
          re += '(?:[^/]*/)*';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (char === '?') re += '[^/]';
    else if (char === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob.slice(i + 1, end).split(',').map((alt) => globToRegExp(alt).source.slice(1, -1)).join('|')})`;
        i = end;
      }
    } else if (char === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += char.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function isGlob(arg: string): boolean {
  return /[*?[{]/.test(arg);
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(full, out);
    } else if (entry.isFile() || entry.isSymbolicLink()) out.push(full);
  }
}

export interface ExpandedInputs {
  files: string[];
  /** Arguments that matched nothing or do not exist: usage errors. */
  missing: string[];
}

/** Expands file, directory and glob arguments into a sorted, de-duplicated list of files. */
export function expandInputs(args: readonly string[], cwd: string = process.cwd()): ExpandedInputs {
  const files: string[] = [];
  const missing: string[] = [];
  for (const arg of args) {
    const absolute = path.resolve(cwd, arg);
    let stat;
    try {
      stat = statSync(absolute);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) {
      const found: string[] = [];
      walk(absolute, found);
      const profiles = found.filter((f) => PROFILE_FILE.test(f));
      // An empty directory is almost always a wrong path; linting nothing must not look clean.
      if (profiles.length === 0) missing.push(arg);
      files.push(...profiles);
    } else if (stat) files.push(absolute);
    else if (isGlob(arg)) {
      const pattern = arg.split(path.sep).join('/');
      const staticPart = pattern.split('/').findIndex((segment) => isGlob(segment));
      const root = path.resolve(cwd, pattern.split('/').slice(0, staticPart).join('/') || '.');
      const matcher = globToRegExp(path.resolve(cwd, pattern).split(path.sep).join('/'));
      const found: string[] = [];
      try {
        walk(root, found);
      } catch {
        // A glob whose fixed prefix does not exist simply matches nothing.
      }
      const matched = found.filter((f) => matcher.test(f.split(path.sep).join('/')));
      if (matched.length === 0) missing.push(arg);
      files.push(...matched);
    } else missing.push(arg);
  }
  return { files: [...new Set(files)], missing };
}

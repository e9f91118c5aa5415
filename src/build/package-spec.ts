/**
 * The `build.package` field: one server package pinned to one exact version. A range or a tag
 * would let the image change under a reviewed profile, so only exact versions are accepted.
 */
import { SandboxError } from '../errors.js';

export type BuildBase = 'node' | 'python';

export interface PackageSpec {
  base: BuildBase;
  name: string;
  version: string;
  /** As pip or npm take it on the command line: NAME@VERSION or NAME==VERSION. */
  installArg: string;
}

// npm: optional @scope/, lowercase URL-safe name. Version: semver with optional pre-release/build.
const NPM_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
// PyPI (PEP 508 name, PEP 440 public version without local part).
const PY_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const PEP440 = /^(\d+!)?\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$/;

/** Parses `build.package` for a base, or throws PROFILE_INVALID saying what was expected. */
export function parsePackageSpec(base: BuildBase, spec: string): PackageSpec {
  const invalid = (message: string, hint: string): never => {
    throw new SandboxError('PROFILE_INVALID', `build.package ${JSON.stringify(spec)}: ${message}`, { hint });
  };
  if (base === 'node') {
    const at = spec.lastIndexOf('@');
    if (at <= 0) invalid('no version', 'pin an exact version: NAME@1.2.3');
    const name = spec.slice(0, at);
    const version = spec.slice(at + 1);
    if (!NPM_NAME.test(name)) invalid(`"${name}" is not an npm package name`, 'e.g. @modelcontextprotocol/server-filesystem@2026.8.31');
    if (!SEMVER.test(version)) invalid(`"${version}" is not an exact version`, 'ranges and tags are refused: pin e.g. 1.2.3');
    return { base, name, version, installArg: `${name}@${version}` };
  }
  const parts = spec.split('==');
  if (parts.length !== 2) invalid('no exact version', 'pin an exact version: NAME==1.2.3');
  const [name, version] = parts as [string, string];
  if (!PY_NAME.test(name)) invalid(`"${name}" is not a PyPI package name`, 'e.g. mcp-server-git==2026.8.18');
  if (!PEP440.test(version)) invalid(`"${version}" is not an exact version`, 'e.g. 2026.8.18');
  return { base, name, version, installArg: `${name}==${version}` };
}

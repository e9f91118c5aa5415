/**
 * `mcp-sandbox build <profile>`: makes the image a profile names from its `build:` section.
 *
 *   profile -> package spec -> content hash -> (skip if the image already carries it)
 *           -> temp context: Dockerfile + app/ staged on the host -> docker build -> tag
 *
 * The hash covers everything that decides the image: the Dockerfile, the base reference and
 * the local base image's ID, the pinned package (or the --app tree), and the layout version.
 * It is stored as the label mcp-sandbox.build-hash, so an unchanged rebuild costs one inspect.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../errors.js';
import { sha256 } from '../profile/cache.js';
import { loadProfile, type LoadOptions } from '../profile/load.js';
import { resolveProfileArg } from '../profile/resolve.js';
import { dockerfileFor } from './assets.js';
import { checkEngine, dockerBuild, imageId, imageLabel } from './docker.js';
import { parsePackageSpec, type BuildBase, type PackageSpec } from './package-spec.js';
import { hashDirectory, stageFromDirectory, stagePackage } from './stage.js';

/** Bump when the context layout changes in a way the inputs do not show. */
const LAYOUT_VERSION = 1;
const BUILD_HASH_LABEL = 'mcp-sandbox.build-hash';

export interface BuildOptions extends LoadOptions {
  /** Base image instead of the pinned one (e.g. a local image when no registry is reachable). */
  baseImage?: string;
  /** An already staged app directory to copy instead of running npm/pip. */
  appDir?: string;
  /** Build even when the image carries the same build hash. */
  force?: boolean;
  /** npm --offline while staging. */
  offline?: boolean;
  pythonVersion?: string;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** Builder output, when wanted. */
  onOutput?: (chunk: string) => void;
}

export interface BuildResult {
  image: string;
  hash: string;
  base: string;
  package: PackageSpec;
  /** True when the image was already up to date. */
  skipped: boolean;
  seconds: number;
}

/** The pinned default base: the `ARG BASE=` line of the Dockerfile (one place holds the digest). */
export function defaultBase(dockerfileText: string): string {
  const match = /^ARG BASE=(\S+)\s*$/m.exec(dockerfileText);
  if (!match?.[1]) throw new SandboxError('INTERNAL', 'Dockerfile has no ARG BASE= default');
  return match[1];
}

/** The base to build from: option, then MCP_SANDBOX_<BASE>_BASE, then the Dockerfile's pin. */
export function chooseBase(base: BuildBase, dockerfileText: string, option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option || env[`MCP_SANDBOX_${base.toUpperCase()}_BASE`] || defaultBase(dockerfileText);
}

/** The hash stored on the image; equal inputs give an equal hash. */
export function buildHash(inputs: { dockerfile: string; base: string; baseId: string; installArg: string; appHash: string }): string {
  return sha256(`layout=${LAYOUT_VERSION}\nbase=${inputs.base}\nbaseId=${inputs.baseId}\npackage=${inputs.installArg}\napp=${inputs.appHash}\n${inputs.dockerfile}`);
}

/** Builds the image for one profile argument (path or name). */
export async function buildProfileImage(arg: string, options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const env = options.env ?? process.env;
  const log = options.log ?? ((): void => {});
  const loaded = loadProfile(resolveProfileArg(arg, env), options);
  const { profile } = loaded;
  if (!profile.build) {
    throw new SandboxError('PROFILE_INVALID', `profile ${profile.name} has no build: section, so mcp-sandbox cannot make ${profile.image}`, {
      location: loaded.locate(''),
      hint: 'add build: {base: node, package: NAME@VERSION}, or pull/build the image yourself',
    });
  }
  if (profile.image.includes('@')) {
    throw new SandboxError('PROFILE_INVALID', `image ${profile.image} is a digest; a build can only produce a tag`, {
      location: loaded.locate('/image'),
      hint: 'name the image by tag, e.g. mcp-sandbox/<server>:<version>',
    });
  }
  const spec = parsePackageSpec(profile.build.base, profile.build.package);
  const dockerfile = dockerfileFor(spec.base, env);
  const dockerfileText = readFileSync(dockerfile, 'utf8');
  const base = chooseBase(spec.base, dockerfileText, options.baseImage, env);

  await checkEngine();
  const baseId = (await imageId(base)) ?? '';
  const appHash = options.appDir ? hashDirectory(path.resolve(options.appDir)) : '';
  const hash = buildHash({ dockerfile: dockerfileText, base, baseId, installArg: spec.installArg, appHash });
  const done = (skipped: boolean): BuildResult => ({
    image: profile.image, hash, base, package: spec, skipped, seconds: (performance.now() - started) / 1000,
  });

  if (!options.force && (await imageLabel(profile.image, BUILD_HASH_LABEL)) === hash) {
    log(`${profile.image} is up to date (${hash.slice(0, 12)})`);
    return done(true);
  }

  const contextDir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-build-'));
  try {
    copyFileSync(dockerfile, path.join(contextDir, 'Dockerfile'));
    log(`staging ${spec.installArg} on the host`);
    const staged = options.appDir
      ? await stageFromDirectory(path.resolve(options.appDir), contextDir)
      : await stagePackage(spec, contextDir, { offline: options.offline, pythonVersion: options.pythonVersion, log });
    log(`building ${profile.image} from ${base}${baseId ? '' : ' (not local: the engine will try to pull it)'}`);
    await dockerBuild({
      contextDir,
      dockerfile: path.join(contextDir, 'Dockerfile'),
      tag: profile.image,
      buildArgs: {
        BASE: base,
        PACKAGE: spec.name,
        VERSION: spec.version,
        BUILD_HASH: hash,
        ...(staged.source ? { SOURCE: staged.source } : {}),
      },
      onOutput: options.onOutput,
    });
  } finally {
    rmSync(contextDir, { recursive: true, force: true });
  }
  const result = done(false);
  log(`built ${profile.image} (${hash.slice(0, 12)}) in ${result.seconds.toFixed(1)} s`);
  return result;
}

/**
 * The loading pipeline, in fixed stages (as compose-go loads a project):
 *
 *   read -> parse -> extends -> schema -> normalize   (-> compile, src/compile/prepare.ts)
 *
 * `loadStages` is the one function every caller goes through. The first three stages are
 * satisfied by a `ChainSource`: `yamlChain` (src/profile/load.ts) reads and parses the files,
 * `cachedChain` (src/profile/cache.ts) answers from the verified profile cache without loading
 * the yaml library, and `memoryChain` stands for a profile built in memory (a `docker run` line
 * in a client config, doctor's probe). Schema and normalize always run, the same way for all.
 */
import { homedir } from 'node:os';
import { normalizeProfile } from './normalize.js';
import type { NormalizedProfile, Profile } from './types.js';
import { validateProfile, type Locate } from './validate.js';

/** What the read, parse and extends stages hand on. */
export interface ProfileChain {
  /** Absolute path of the profile asked for (or a label for an in-memory profile). */
  file: string;
  /**
   * Every layer merged (most derived wins), `extends` removed. `justifications` are those of
   * the most derived file only: a justification applies to the profile that states it.
   */
  merged: Record<string, unknown>;
  /** Every file that contributed, most derived first. */
  files: string[];
  /** Position of a JSON pointer; falls back to its nearest ancestor, then to the file's start. */
  locate: Locate;
  /** Directory of the layer that wrote a pointer: relative host paths resolve against it. */
  baseDir(pointer: string): string;
}

/** Satisfies read -> parse -> extends for one file. */
export type ChainSource = (file: string) => ProfileChain;

/** A profile that passed every loading stage, with the means to point back into its files. */
export interface LoadedProfile {
  /** Absolute path of the profile file that was asked for. */
  file: string;
  /** Merged (after `extends`) and schema-valid, as written. */
  raw: Profile;
  /** Defaults applied, units converted, paths resolved. */
  profile: NormalizedProfile;
  locate: Locate;
  /** Every file that contributed, most derived first. */
  files: string[];
}

/** What the schema and normalize stages read from outside; defaults read the real environment. */
export interface StageOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Reads a file (the seccomp profile); defaults to the read stage. */
  readFile?: (file: string) => string;
}

/** Runs every stage for one file; the first three through `source`. */
export function loadStages(file: string, source: ChainSource, options: StageOptions = {}): LoadedProfile {
  const chain = source(file);
  const merged = chain.merged;
  validateProfile(merged, chain.locate);
  const profile = normalizeProfile(merged, {
    env: options.env ?? process.env,
    home: options.home || homedir(),
    locate: chain.locate,
    baseDir: chain.baseDir,
    ...(options.readFile ? { readFile: options.readFile } : {}),
  });
  return { file: chain.file, raw: merged, profile, locate: chain.locate, files: chain.files };
}

/** A chain source for a profile that exists only in memory: one layer, positions from the caller. */
export function memoryChain(data: object, locate: Locate, baseDir: string): ChainSource {
  return (file) => ({ file, merged: data as Record<string, unknown>, files: [file], locate, baseDir: () => baseDir });
}

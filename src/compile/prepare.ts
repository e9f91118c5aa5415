/**
 * The whole loading pipeline for one `<profile>` argument: resolve -> parse -> extends ->
 * schema -> normalize (src/profile/stages.ts) -> compile. Commands call this rather than
 * chaining the stages themselves.
 */
import { loadProfile, type LoadedProfile, type LoadOptions } from '../profile/load.js';
import { resolveProfile, type ResolvedProfile } from '../profile/resolve.js';
import { compileSpec, type CompileOptions, type SandboxSpec } from './spec.js';

/** A loaded profile and the sandbox compiled from it. */
export interface PreparedSandbox {
  loaded: LoadedProfile;
  spec: SandboxSpec;
  /** Where the argument was found (`describeResolution` words it for the user). */
  resolved: ResolvedProfile;
}

/** Resolves, loads and compiles a profile argument (a path or a name). */
export function prepareSandbox(arg: string, options: LoadOptions & CompileOptions = {}): PreparedSandbox {
  const resolved = resolveProfile(arg, options.env, undefined, options.home);
  const loaded = loadProfile(resolved.file, options);
  return { loaded, spec: compileSpec(loaded.profile, options), resolved };
}

/**
 * The whole loading pipeline for one `<profile>` argument: resolve -> parse -> extends ->
 * schema -> normalize -> compile. Commands call this rather than chaining the stages themselves.
 */
import { loadProfile, type LoadedProfile, type LoadOptions } from '../profile/load.js';
import { resolveProfileArg } from '../profile/resolve.js';
import { compileSpec, type CompileOptions, type SandboxSpec } from './spec.js';

/** A loaded profile and the sandbox compiled from it. */
export interface PreparedSandbox {
  loaded: LoadedProfile;
  spec: SandboxSpec;
}

/** Resolves, loads and compiles a profile argument (a path or a name). */
export function prepareSandbox(arg: string, options: LoadOptions & CompileOptions = {}): PreparedSandbox {
  const file = resolveProfileArg(arg, options.env, undefined, options.home);
  const loaded = loadProfile(file, options);
  return { loaded, spec: compileSpec(loaded.profile, options) };
}

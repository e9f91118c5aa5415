/**
 * The variables and host-paths stages of normalize: `${VAR}` (src/profile/interpolate.ts),
 * then `~` and `~/`, then paths relative to the file that wrote them. Volume names are checked.
 */
import path from 'node:path';
import { InterpolationError, interpolate } from './interpolate.js';
import type { Fail, NormalizeContext } from './normalize.js';
import { PROFILE_DEFAULTS } from './defaults.js';
import type { MountEntry, NormalizedMount } from './types.js';

/** Expands `${VAR}` in a profile value (mount sources, network.allow entries); fails at `pointer`. */
export function interpolateAt(raw: string, pointer: string, ctx: NormalizeContext, fail: Fail): string {
  try {
    return interpolate(raw, ctx.env);
  } catch (error) {
    if (!(error instanceof InterpolationError)) throw error;
    if (error.variable !== undefined) {
      const detail = error.detail === undefined ? '' : `: ${error.detail}`;
      return fail(pointer, `environment variable ${error.variable} in ${JSON.stringify(raw)} is not set${detail}`, `set ${error.variable}, or write \${${error.variable}:-default}`);
    }
    return fail(pointer, `${JSON.stringify(raw)} at character ${error.offset + 1}: ${error.message}`, 'supported: $$, $V, ${V}, ${V:-default}, ${V-default}, ${V:+alt}, ${V+alt}, ${V:?message}, ${V?message}');
  }
}

/** Expands variables and ~, then resolves a relative path against the profile's directory. */
export function expandHostPath(raw: string, pointer: string, ctx: NormalizeContext, fail: Fail): string {
  const expanded = interpolateAt(raw, pointer, ctx, fail);
  const tilde = expanded === '~' ? ctx.home : expanded.startsWith('~/') ? path.join(ctx.home, expanded.slice(2)) : expanded;
  if (tilde.startsWith('~')) fail(pointer, `${JSON.stringify(raw)}: only ~ and ~/ are expanded`, "write the full path of another user's home");
  return path.resolve(ctx.baseDir(pointer), tilde);
}

/** `filesystem.mounts` with defaults: bind sources expanded, volume names checked. */
export function normalizeMounts(mounts: readonly MountEntry[], ctx: NormalizeContext, fail: Fail): NormalizedMount[] {
  return mounts.map((mount, i) => {
    const pointer = `/filesystem/mounts/${i}/source`;
    const type = mount.type ?? 'bind';
    let source: string;
    if (type === 'bind') source = expandHostPath(mount.source, pointer, ctx, fail);
    else if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(mount.source)) source = mount.source;
    else source = fail(pointer, `volume name ${JSON.stringify(mount.source)} is not valid`, 'use letters, digits, _ . - (or type: bind for a host path)');
    return { type, source, target: mount.target, readOnly: mount.readOnly ?? PROFILE_DEFAULTS.mountReadOnly };
  });
}

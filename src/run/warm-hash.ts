/**
 * The hash a pooled sandbox carries (label mcp-sandbox.pool-hash): everything that went into it,
 * so `run` only claims a sandbox it would have created itself. Inputs: the rendered create body
 * without the labels that differ per launcher or per pool member and without the secret values,
 * the image id the tag resolved to, the runtime after the user config's mapping, and an HMAC of
 * the secret values. Labels are readable by anyone who can inspect the container, so the whole
 * hash is keyed with the per-user key of the profile cache (src/profile/cache-trust.ts): a
 * low-entropy secret cannot be guessed from it. The value is `<owner>.<digest>`: the owner part
 * (also keyed) tells one user's pool from another's on a shared engine, so a claimer removes
 * only its own user's stale members and leaves other users' pools alone.
 */
import type { CreateBody } from '../compile/engine-body.js';
import { LABELS } from '../labels.js';
import { mac } from '../profile/cache-trust.js';

/** Labels that are not part of what the sandbox is. */
export const VOLATILE_LABELS: readonly string[] = [LABELS.launcherPid, LABELS.launcherHost, LABELS.pool, LABELS.poolHash, LABELS.poolExpires];

export interface PoolHashInput {
  body: CreateBody;
  /** The profile's secret names: their Env entries are replaced by the HMAC. */
  secretNames: readonly string[];
  secretValues: Readonly<Record<string, string>>;
  imageId: string;
  /** The runtime the user config mapped the profile's to. */
  runtime: string;
}

/** JSON with object keys sorted, so equal inputs give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** The owner part of a pool hash: the same for every pool of one per-user key. */
export function poolOwner(key: Buffer): string {
  return mac(key, 'mcp-sandbox warm pool owner').slice(0, 16);
}

/** The pool hash of a would-be sandbox. */
export function poolHash(input: PoolHashInput, key: Buffer): string {
  const secret = new Set(input.secretNames);
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(input.body.Labels)) if (!VOLATILE_LABELS.includes(name)) labels[name] = value;
  const env = input.body.Env.filter((entry) => !secret.has(entry.slice(0, entry.indexOf('='))));
  const secrets = [...input.secretNames].sort().map((name) => [name, Object.hasOwn(input.secretValues, name) ? input.secretValues[name] : null]);
  const secretsMac = mac(key, canonicalJson(secrets));
  return `${poolOwner(key)}.${mac(key, canonicalJson({ body: { ...input.body, Labels: labels, Env: env }, imageId: input.imageId, runtime: input.runtime, secrets: secretsMac }))}`;
}

/** The body a pool member is created with: the launcher's, minus launcher labels, plus the pool's. */
export function pooledBody(body: CreateBody, hash: string, expiresAt: number): CreateBody {
  const labels: Record<string, string> = { ...body.Labels };
  delete labels[LABELS.launcherPid];
  labels[LABELS.pool] = 'idle';
  labels[LABELS.poolHash] = hash;
  labels[LABELS.poolExpires] = String(Math.floor(expiresAt));
  return { ...body, Labels: labels, HostConfig: { ...body.HostConfig, AutoRemove: true } };
}

/**
 * Spare egress sets (docs/egress.md, "Spare sets"): what identifies one, where its keeper
 * listens, and the lines a launcher and the keeper exchange. A spare is a whole set (network,
 * holder with its rules, proxy) made ahead by a detached keeper process (./spare-keeper.ts) for
 * one allowlist; a cold `run` of that allowlist claims it instead of making its own.
 *
 * One keeper per user, engine and recipe: the socket path is derived from the recipe's hash, so
 * a launcher whose allowlist (or user config, image, runtimes, version) differs connects to
 * another path and can never be handed a set made for something else. The image's id is not in
 * the path (it would cost an engine call before the cold path could begin); the claim carries
 * it and the keeper compares.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AllowEntry } from './allow.js';
import { describeEndpoint, type EngineEndpoint } from '../engine/endpoint.js';
import { VERSION } from '../version.js';
import type { EgressEvent } from './events.js';
import { planEgress, type EgressPlan } from './plan.js';
import type { RenderOptions } from './render.js';

/** Everything that goes into a set, as the launcher knows it before any engine call. */
export interface SpareRecipe {
  entries: AllowEntry[];
  /** `egress.hosts` of the user config, sorted by name. */
  hosts: Array<[string, string]>;
  render: Pick<RenderOptions, 'upstreamNetwork' | 'upstreamDns' | 'image' | 'proxyRuntime' | 'dnsRuntime'>;
}

/** Seconds an unclaimed spare lives (user config `egress.spareIdle`; 0: no spares). */
export const DEFAULT_SPARE_IDLE = 600;

/** The recipe of an allowlist and user config, hosts in a stable order. */
export function spareRecipe(entries: readonly AllowEntry[], hosts: ReadonlyMap<string, string>, render: SpareRecipe['render'] = {}): SpareRecipe {
  const sortedRender = Object.fromEntries(Object.entries(render).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
  return { entries: [...entries], hosts: [...hosts].sort(([a], [b]) => a.localeCompare(b)), render: sortedRender };
}

/** The plan a recipe makes (the same as `run` makes for the profile). */
export function recipePlan(recipe: SpareRecipe): EgressPlan {
  return planEgress(recipe.entries, new Map(recipe.hosts));
}

/**
 * The hash of a recipe: the plan it makes (listeners, names, translations, routes, hosts), the
 * render options and the version (the configs and bodies are this version's). Two allowlists
 * that plan the same set share spares; source positions and entry order within a port do not
 * matter when the plan does not change.
 */
export function spareHash(recipe: SpareRecipe): string {
  const plan = recipePlan(recipe);
  const canonical = JSON.stringify({ v: VERSION, plan: { ...plan, hosts: [...plan.hosts].sort(([a], [b]) => a.localeCompare(b)) }, render: recipe.render });
  return createHash('sha256').update(canonical).digest('hex');
}

/** sun_path holds 108 bytes with its NUL. */
const SUN_PATH_MAX = 107;

export interface SparePaths {
  /** The keeper's pid lock (src/run/warm-lock.ts). */
  lock: string;
  /** Its socket, in an owner-only directory. */
  socket: string;
}

/** Where the keeper of this recipe on this engine listens; undefined when the path does not fit sun_path. */
export function sparePaths(endpoint: EngineEndpoint, hash: string, dir: string | undefined = tmpdir()): SparePaths | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const digest = createHash('sha256').update(`${describeEndpoint(endpoint)}\n${hash}`).digest('hex').slice(0, 16);
  const base = path.join(dir, `mcp-sandbox-${uid}-egress-spare-${digest}`);
  const socket = path.join(`${base}.d`, 's.sock');
  return Buffer.byteLength(socket) <= SUN_PATH_MAX ? { lock: `${base}.pid`, socket } : undefined;
}

/** launcher → keeper: the first line of a connection. */
export type SpareRequest =
  /** Take an idle spare for `container` (the server that will join it); the connection then guards the claim. */
  | { op: 'claim'; container: string; imageId: string }
  /** Make a spare if none is idle or being made. */
  | { op: 'want' };

/** keeper → launcher: the answer to a claim, then (after `ok`) one `event` line per egress event. */
export type SpareReply =
  | { ok: true; session: string; env: string[]; timings: Record<string, number> }
  | { ok: false; reason: string }
  | { event: EgressEvent };

/** What follows a claim on the launcher's side: `done` (the session ended, remove the set). */
export const DONE_LINE = 'done';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
/** The keeper force-removes the named container if the claimer dies: only a sandbox of ours (mcp-sandbox-<session>). */
const SERVER_NAME = /^mcp-sandbox-[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/** A request line, or undefined for anything malformed (the keeper then closes the connection). */
export function parseSpareRequest(line: string): SpareRequest | undefined {
  const value = objectOf(line);
  if (!value) return undefined;
  const { op, container, imageId } = value;
  if (op === 'want') return { op };
  if (op !== 'claim' || typeof container !== 'string' || !SERVER_NAME.test(container)) return undefined;
  if (typeof imageId !== 'string' || !IMAGE_ID.test(imageId)) return undefined;
  return { op, container, imageId };
}

/** A reply line, or undefined for anything else. */
export function parseSpareReply(line: string): SpareReply | undefined {
  const reply = objectOf(line);
  if (!reply) return undefined;
  if (typeof reply.event === 'object' && reply.event !== null) return { event: reply.event as EgressEvent };
  if (reply.ok === false) return { ok: false, reason: String(reply.reason ?? '') };
  if (reply.ok !== true || typeof reply.session !== 'string' || !NAME.test(reply.session)) return undefined;
  if (!Array.isArray(reply.env) || !reply.env.every((e) => typeof e === 'string')) return undefined;
  return { ok: true, session: reply.session, env: reply.env as string[], timings: (reply.timings ?? {}) as Record<string, number> };
}

/** A line's JSON object, or undefined for anything else (a line of the socket is not trusted). */
function objectOf(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

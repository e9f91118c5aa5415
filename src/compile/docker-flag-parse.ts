/**
 * How the docker run flags with a structured value (network, security options, mounts,
 * volumes, env, labels) become profile fields: the parse side of their rows in docker-flags.ts.
 */
import { LABELS } from '../labels.js';
import { toPointer } from '../profile/pointer.js';
import { bindOrVolume, HARMLESS_VOLUME_OPTIONS, isHostPath, mountFields, parseBool, SHARED_PROPAGATION, splitVolumeSpec, toProfileSize } from './docker-flag-values.js';
import type { FlagParse } from './docker-flags.js';

export function parseNetwork(value: string | undefined, p: FlagParse): void {
  const v = value ?? '';
  if (v === 'none' || v === 'bridge' || v === 'host') p.draft.network = v;
  else {
    p.draft.network = 'bridge';
    if (v.startsWith('container:')) p.dangerous(`--network=${v} joins another container's network namespace, outside this sandbox`);
    else if (v !== 'default') p.unmapped(`network "${v}" has no profile equivalent; treated as bridge (outbound access)`);
  }
  p.set('/network');
}

export function parseSecurityOpt(value: string | undefined, p: FlagParse): void {
  const v = value ?? '';
  const match = /^([a-z-]+)(?:[=:](.*))?$/.exec(v);
  const key = match?.[1];
  const val = match?.[2];
  if (key === 'no-new-privileges') {
    const b = parseBool(val);
    if (b === undefined) return p.unmapped('expected no-new-privileges[:true|false]');
    p.draft.noNewPrivileges = b;
    p.set('/security/noNewPrivileges');
  } else if (key === 'seccomp' && val) {
    p.draft.seccomp = val;
    p.set('/security/seccomp');
  } else if ((key === 'apparmor' || key === 'systempaths' || key === 'mask' || key === 'unmask') && /unconfined|ALL/.test(val ?? '')) {
    p.dangerous(`security option "${v}" disables a protection (${key})`);
  } else if ((key === 'label' && val === 'disable') || (key === 'writable-cgroups' && parseBool(val) === true)) {
    p.dangerous(`security option "${v}" disables a protection (${key})`);
  } else p.unmapped(`security option "${v}" is not mapped${/unconfined/.test(v) ? ' (it disables a protection)' : ''}`);
}

export function parseMount(value: string | undefined, p: FlagParse): void {
  const fields = mountFields(value ?? '');
  const type = fields.get('type') ?? 'volume';
  const source = fields.get('source') ?? fields.get('src');
  const target = fields.get('target') ?? fields.get('destination') ?? fields.get('dst');
  const ro = fields.has('readonly') || fields.has('ro') ? parseBool(fields.get('readonly') ?? fields.get('ro')) : false;
  const propagation = fields.get('bind-propagation');
  if (propagation !== undefined && SHARED_PROPAGATION.has(propagation)) p.dangerous(`bind-propagation=${propagation} lets mounts cross between the container and the host`);
  for (const key of fields.keys()) {
    if (!['type', 'source', 'src', 'target', 'destination', 'dst', 'readonly', 'ro', 'tmpfs-size', 'tmpfs-mode', 'bind-propagation'].includes(key)) p.unmapped(`mount option "${key}" is not mapped`);
  }
  if (!target) return p.unmapped('mount without a target');
  if (type === 'tmpfs') {
    const size = fields.get('tmpfs-size') ? toProfileSize(fields.get('tmpfs-size') as string) : undefined;
    const mode = fields.get('tmpfs-mode');
    p.set(`/filesystem/tmpfs/${p.draft.tmpfs.length}`);
    p.draft.tmpfs.push({ path: target, ...(size ? { size } : {}), exec: false, ...(mode ? { mode } : {}) });
    return;
  }
  const entry = bindOrVolume(type, source, target, ro ?? false);
  if (!entry) return type === 'volume' ? p.unmapped('anonymous volumes are not mapped') : p.dangerous(`mount type "${type}" is not mapped (it can expose host devices or images)`);
  p.set(`/filesystem/mounts/${p.draft.mounts.length}`);
  p.draft.mounts.push(entry);
}

export function parseVolume(value: string | undefined, p: FlagParse): void {
  const parts = splitVolumeSpec(value ?? '');
  if (parts.length < 2) return p.unmapped('anonymous volumes are not mapped');
  const [source, target, opts] = parts as [string, string, string | undefined];
  let readOnly = false;
  for (const opt of (opts ?? '').split(',').filter(Boolean)) {
    if (opt === 'ro' || opt === 'readonly') readOnly = true;
    else if (SHARED_PROPAGATION.has(opt)) p.dangerous(`volume option "${opt}" lets mounts cross between the container and the host`);
    else if (!HARMLESS_VOLUME_OPTIONS.has(opt)) p.unmapped(`volume option "${opt}" is not mapped`);
  }
  p.set(`/filesystem/mounts/${p.draft.mounts.length}`);
  p.draft.mounts.push({ type: isHostPath(source) ? 'bind' : 'volume', source, target, readOnly });
}

export function parseEnv(value: string | undefined, p: FlagParse): void {
  const v = value ?? '';
  const eq = v.indexOf('=');
  if (eq < 0) {
    if (!p.draft.secrets.includes(v)) p.draft.secrets.push(v);
    p.set(`/secrets/${p.draft.secrets.indexOf(v)}`);
  } else {
    p.draft.env[v.slice(0, eq)] = v.slice(eq + 1);
    p.set(toPointer(['env', v.slice(0, eq)]));
  }
}

export function parseLabel(value: string | undefined, p: FlagParse): void {
  const v = value ?? '';
  const eq = v.indexOf('=');
  const key = eq >= 0 ? v.slice(0, eq) : v;
  // The launcher's own labels: the profile label names the profile, the rest are per run.
  if (key === LABELS.profile) {
    p.draft.labelName = eq >= 0 ? v.slice(eq + 1) : '';
    p.set('/name');
  } else if (!key.startsWith('mcp-sandbox.')) {
    p.draft.labels[key] = eq >= 0 ? v.slice(eq + 1) : '';
    p.set(toPointer(['labels', key]));
  }
}

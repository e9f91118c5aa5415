/**
 * The sandbox container as a Kubernetes Pod: the part of emitter 3 (k8s.ts) that maps each
 * SandboxSpec field to its Pod spelling. docs/kubernetes.md has the table, key by key; what
 * Kubernetes cannot express per Pod (pids, swap, uts, tmpfs options) becomes a note for the
 * reader and an annotation, never an invented field.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IIoK8sApiCoreV1Container as Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1SecurityContext as SecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IIoK8sApiCoreV1Volume as Volume } from 'kubernetes-models/v1/Volume';
import type { IIoK8sApiCoreV1VolumeMount as VolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { SandboxError, type SourceLocation } from '../errors.js';
import { toPointer } from '../profile/pointer.js';
import type { SandboxSpec } from './spec.js';

/** Annotation keys of ours on rendered objects (what a Pod field cannot say). */
export const K8S_ANNOTATIONS = {
  pidsLimit: 'mcp-sandbox/pids-limit',
  memorySwap: 'mcp-sandbox/memory-swap',
  utsNamespace: 'mcp-sandbox/uts-namespace',
  tmpfsOptions: 'mcp-sandbox/tmpfs-options',
  seccompFile: 'mcp-sandbox/seccomp-file',
} as const;

/** The RuntimeClass the docs tell cluster admins to create for gVisor (handler: runsc). */
export const GVISOR_RUNTIME_CLASS = 'gvisor';
/** Where a profile's seccomp file goes on each node, below the kubelet's seccomp root. */
export const SECCOMP_LOCALHOST_DIR = 'mcp-sandbox';
/** The one container of the Pod. */
export const SERVER_CONTAINER = 'server';

/** Inputs the spec does not carry. */
export interface PodContext {
  /** The profile's justifications: MS301 lets a bind mount become a node hostPath. */
  justifications: Readonly<Record<string, string>>;
  /** Said once per object, as YAML comments: what differs from the docker sandbox. */
  notes: string[];
  /** Where a profile key was written, for errors (the loader's `locate`). */
  locate?: (pointer: string, key?: boolean) => SourceLocation;
}

function refuse(ctx: PodContext, segments: ReadonlyArray<string | number>, message: string, hint: string): SandboxError {
  const location = ctx.locate?.(toPointer(segments));
  return new SandboxError('PROFILE_INVALID', message, { hint, ...(location === undefined ? {} : { location }) });
}

/** The bare Pod for one sandbox (restartPolicy Never: one session, like `docker run --rm -i`). */
export function toPod(spec: SandboxSpec, ctx: PodContext): IPod {
  const { volumes, volumeMounts } = podVolumes(spec, ctx);
  const runtime = runtimeClass(spec, ctx);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, labels: podLabels(spec, ctx), ...annotationsOf(spec, ctx) },
    spec: {
      ...(runtime === undefined ? {} : { runtimeClassName: runtime }),
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(spec.network === 'host' ? { hostNetwork: true } : {}),
      ...(spec.namespaces.pid === 'host' ? { hostPID: true } : {}),
      ...(spec.namespaces.ipc === 'host' ? { hostIPC: true } : {}),
      // The pause container becomes PID 1 and reaps zombies: Kubernetes' spelling of --init.
      ...(spec.init ? { shareProcessNamespace: true } : {}),
      containers: [serverContainer(spec, volumeMounts, ctx)],
      ...(volumes.length > 0 ? { volumes } : {}),
    },
  };
}

/** Ours plus the profile's; a profile label Kubernetes cannot take is an error, not dropped. */
export function podLabels(spec: SandboxSpec, ctx: Pick<PodContext, 'locate'> = {}): Record<string, string> {
  for (const [key, value] of Object.entries(spec.labels)) {
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      throw refuse({ notes: [], justifications: {}, ...ctx }, ['labels', key], `label ${key}=${value} is not a valid Kubernetes label`,
        'keys are [prefix/]name with name at most 63 of [A-Za-z0-9._-]; values at most 63 of the same, starting and ending alphanumeric');
    }
  }
  return { 'app.kubernetes.io/managed-by': 'mcp-sandbox', 'app.kubernetes.io/name': spec.name, ...spec.labels };
}

const LABEL_NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const LABEL_KEY = new RegExp(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?${LABEL_NAME}$`);
const LABEL_VALUE = new RegExp(`^(${LABEL_NAME})?$`);

function runtimeClass(spec: SandboxSpec, ctx: PodContext): string | undefined {
  if (spec.runtime.startsWith('runsc')) return GVISOR_RUNTIME_CLASS;
  if (spec.runtime === 'runc') {
    ctx.notes.push('runtime runc: no runtimeClassName, so the node default (usually runc) runs it, without gVisor');
    return undefined;
  }
  ctx.notes.push(`runtime ${spec.runtime}: runtimeClassName ${spec.runtime}; a RuntimeClass of that name must exist`);
  return spec.runtime;
}

function annotationsOf(spec: SandboxSpec, ctx: PodContext): { annotations?: Record<string, string> } {
  const a: Record<string, string> = {};
  if (spec.pidsLimit > 0) {
    a[K8S_ANNOTATIONS.pidsLimit] = String(spec.pidsLimit);
    ctx.notes.push(`pids ${spec.pidsLimit}: a Pod cannot set it; give the nodes KubeletConfiguration podPidsLimit: ${spec.pidsLimit} (kubelet --pod-max-pids)`);
  }
  if (spec.memory > 0 && spec.memorySwap !== spec.memory) {
    a[K8S_ANNOTATIONS.memorySwap] = String(spec.memorySwap);
    ctx.notes.push('memorySwap: a Pod cannot set it; with limits equal to requests (Guaranteed QoS) the kubelet gives it no swap');
  }
  if (spec.namespaces.uts === 'host' && spec.network !== 'host') {
    a[K8S_ANNOTATIONS.utsNamespace] = 'host';
    ctx.notes.push('namespaces.uts host: Kubernetes shares the host UTS namespace only with hostNetwork; this Pod keeps its own');
  }
  if (spec.seccomp.kind === 'file') a[K8S_ANNOTATIONS.seccompFile] = spec.seccomp.path;
  if (spec.namespaces.userns === 'host') ctx.notes.push('namespaces.userns host: the Kubernetes default (hostUsers unset) already uses the host user namespace');
  return Object.keys(a).length > 0 ? { annotations: a } : {};
}

function serverContainer(spec: SandboxSpec, volumeMounts: VolumeMount[], ctx: PodContext): Container {
  const resources = resourcesOf(spec);
  return {
    name: SERVER_CONTAINER,
    image: spec.image,
    imagePullPolicy: PULL_POLICY[spec.pull],
    // `command` replaces the image's ENTRYPOINT and `args` its CMD, as --entrypoint and the
    // trailing arguments of docker run do.
    ...(spec.entrypoint === undefined ? {} : { command: [spec.entrypoint] }),
    ...(spec.cmd === undefined ? {} : { args: [...spec.cmd] }),
    ...(spec.workdir === undefined ? {} : { workingDir: spec.workdir }),
    ...envOf(spec),
    stdin: true,
    stdinOnce: true,
    tty: false,
    ...(resources === undefined ? {} : { resources }),
    securityContext: securityContextOf(spec, ctx),
    ...(volumeMounts.length > 0 ? { volumeMounts } : {}),
  };
}

const PULL_POLICY = { never: 'Never', missing: 'IfNotPresent', always: 'Always' } as const;

/** Literal values, then each secret from the Secret named after the profile (key = its name). */
function envOf(spec: SandboxSpec): Pick<Container, 'env'> {
  const env = [
    ...spec.env.map((e) => ({ name: e.name, value: e.value })),
    ...spec.secrets.map((name) => ({ name, valueFrom: { secretKeyRef: { name: spec.name, key: name } } })),
  ];
  return env.length > 0 ? { env } : {};
}

/** limits = requests, so the Pod is Guaranteed QoS and the scheduler reserves what it may use. */
function resourcesOf(spec: SandboxSpec): Container['resources'] {
  const r: Record<string, string> = {};
  if (spec.nanoCpus > 0) r.cpu = cpuQuantity(spec.nanoCpus);
  if (spec.memory > 0) r.memory = byteQuantity(spec.memory);
  return Object.keys(r).length > 0 ? { limits: { ...r }, requests: { ...r } } : undefined;
}

/** Whole cores as a number, else millicores (Kubernetes' finest CPU unit), rounded up. */
export function cpuQuantity(nanoCpus: number): string {
  if (nanoCpus % 1e9 === 0) return String(nanoCpus / 1e9);
  return `${Math.ceil(nanoCpus / 1e6)}m`;
}

/** Bytes in the largest binary suffix that divides them exactly. */
export function byteQuantity(bytes: number): string {
  for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

function securityContextOf(spec: SandboxSpec, ctx: PodContext): SecurityContext {
  const ids = userIds(spec.user, ctx);
  const capabilities = {
    ...(spec.capAdd.length > 0 ? { add: spec.capAdd.map(capName) } : {}),
    ...(spec.capDrop.length > 0 ? { drop: spec.capDrop.map(capName) } : {}),
  };
  return {
    runAsNonRoot: ids?.uid !== 0,
    ...(ids === undefined ? {} : { runAsUser: ids.uid }),
    ...(ids?.gid === undefined ? {} : { runAsGroup: ids.gid }),
    readOnlyRootFilesystem: spec.readOnlyRoot,
    allowPrivilegeEscalation: !spec.noNewPrivileges || spec.privileged,
    privileged: spec.privileged,
    capabilities,
    seccompProfile: seccompOf(spec, ctx),
  };
}

/** Kubernetes spells capabilities without the CAP_ prefix the docker CLI sends. */
function capName(cap: string): string {
  return cap.startsWith('CAP_') ? cap.slice(4) : cap;
}

function seccompOf(spec: SandboxSpec, ctx: PodContext): SecurityContext['seccompProfile'] {
  if (spec.seccomp.kind === 'unconfined') return { type: 'Unconfined' };
  if (spec.seccomp.kind === 'default') return { type: 'RuntimeDefault' };
  const localhostProfile = `${SECCOMP_LOCALHOST_DIR}/${spec.name}.json`;
  ctx.notes.push(`seccomp file: copy ${spec.seccomp.path} to <kubelet seccomp root, /var/lib/kubelet/seccomp>/${localhostProfile} on every node`);
  return { type: 'Localhost', localhostProfile };
}

/** `uid[:gid]`, numeric only: the kubelet cannot resolve a name from the image's /etc/passwd. */
export function userIds(user: string | undefined, ctx: PodContext): { uid: number; gid?: number } | undefined {
  if (user === undefined) return undefined;
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  if (match === null) {
    throw refuse(ctx, ['user'], `user "${user}" cannot be rendered for Kubernetes: runAsUser and runAsGroup take numbers only`,
      'write the numeric uid[:gid] of that user in the profile (e.g. user: "10001:10001")');
  }
  return { uid: Number(match[1]), ...(match[2] === undefined ? {} : { gid: Number(match[2]) }) };
}

/** tmpfs as memory-backed emptyDirs, mounts as PVCs (or, justified, node hostPaths). */
function podVolumes(spec: SandboxSpec, ctx: PodContext): { volumes: Volume[]; volumeMounts: VolumeMount[] } {
  const volumes: Volume[] = [];
  const volumeMounts: VolumeMount[] = [];
  spec.tmpfs.forEach((t, i) => {
    const size = /(?:^|,)size=([^,]+)/.exec(t.options)?.[1];
    volumes.push({ name: `tmpfs-${i}`, emptyDir: { medium: 'Memory', ...(size === undefined ? {} : { sizeLimit: dockerSizeQuantity(size) }) } });
    volumeMounts.push({ name: `tmpfs-${i}`, mountPath: t.path });
  });
  if (spec.tmpfs.length > 0) {
    ctx.notes.push('tmpfs: emptyDir has no mount options, so noexec/nosuid/nodev/mode are not applied; its bytes count against the memory limit');
  }
  spec.mounts.forEach((m, i) => {
    const name = `mount-${i}`;
    if (m.type === 'bind' && Object.hasOwn(ctx.justifications, 'MS301')) {
      volumes.push({ name, hostPath: { path: m.source } });
      ctx.notes.push(`mount ${m.target}: hostPath ${m.source} on the node (justified under MS301); the node must have it`);
      volumeMounts.push({ name, mountPath: m.target, readOnly: m.readOnly });
      return;
    }
    const claimName = m.type === 'volume' ? claimOf(m.source, i, ctx) : `${spec.name}-${slug(m.target)}`;
    volumes.push({ name, persistentVolumeClaim: { claimName, readOnly: m.readOnly } });
    // A bind's host path means nothing on a cluster: the claim holds an entry named after the
    // target, so the same layout serves a directory and a single file.
    const subPath = m.type === 'bind' ? (m.target.split('/').filter(Boolean).at(-1) ?? '') : '';
    volumeMounts.push({ name, mountPath: m.target, readOnly: m.readOnly, ...(subPath === '' ? {} : { subPath }) });
  });
  return { volumes, volumeMounts };
}

/** `64m` (the docker size in the tmpfs options) -> `64Mi`. */
function dockerSizeQuantity(size: string): string {
  const match = /^(\d+)([kmg]?)$/.exec(size);
  if (match === null) return size;
  return `${match[1]}${{ '': '', k: 'Ki', m: 'Mi', g: 'Gi' }[match[2] as '' | 'k' | 'm' | 'g']}`;
}

/** A mount target as a DNS-1123 label part: /data/mcp.db -> data-mcp-db. */
function slug(target: string): string {
  return target.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'root';
}

function claimOf(volume: string, index: number, ctx: PodContext): string {
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(volume)) {
    throw refuse(ctx, ['filesystem', 'mounts', index, 'source'], `volume "${volume}" is not a valid PersistentVolumeClaim name`,
      'use lowercase letters, digits, "-" and "." for the volume name, starting and ending alphanumeric');
  }
  return volume;
}

/**
 * Emitter 2: the Docker Engine API `POST /containers/create` body for a SandboxSpec, the same
 * container the docker CLI would create from `toDockerArgv(spec)`.
 */
import { containerEnv, networkModeOf, type SandboxSpec } from './spec.js';

/** The subset of the Engine API create body that mcp-sandbox sets (API 1.41). */
export interface CreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Env: string[];
  Labels: Record<string, string>;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Tty: boolean;
  HostConfig: {
    AutoRemove: boolean;
    Runtime: string;
    NetworkMode: string;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    UsernsMode?: string;
    ReadonlyRootfs: boolean;
    Tmpfs: Record<string, string>;
    Mounts: Array<{ Type: 'bind' | 'volume'; Source: string; Target: string; ReadOnly: boolean }>;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    PidsLimit: number;
    CapDrop: string[];
    CapAdd: string[];
    SecurityOpt: string[];
    Privileged: boolean;
    Init: boolean;
  };
}

/** Values for secrets and labels that exist only at run time. */
export interface BodyOptions {
  /** Secret name -> value, read by the launcher; absent names are omitted. */
  secretValues?: Record<string, string>;
  /** Extra labels added by the launcher (pid, version). */
  labels?: Record<string, string>;
  /** The egress session an allowlisted server joins (see networkModeOf). */
  egressSession?: string;
}

/** Builds the create body. Secret values only enter here, never the argv. */
export function toCreateBody(spec: SandboxSpec, options: BodyOptions = {}): CreateBody {
  const securityOpt: string[] = [];
  if (spec.noNewPrivileges) securityOpt.push('no-new-privileges');
  if (spec.seccomp.kind === 'unconfined') securityOpt.push('seccomp=unconfined');
  // The docker CLI reads a seccomp file client-side and sends its compact JSON.
  if (spec.seccomp.kind === 'file') securityOpt.push(`seccomp=${spec.seccomp.content}`);
  // Own string values only: a secret called toString must never pick up Object.prototype's.
  const values = options.secretValues ?? {};
  const secretEnv = spec.secrets.flatMap((name) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    return typeof value === 'string' ? [`${name}=${value}`] : [];
  });
  return {
    Image: spec.image,
    ...(spec.cmd ? { Cmd: [...spec.cmd] } : {}),
    ...(spec.entrypoint === undefined ? {} : { Entrypoint: [spec.entrypoint] }),
    ...(spec.workdir === undefined ? {} : { WorkingDir: spec.workdir }),
    ...(spec.user === undefined ? {} : { User: spec.user }),
    Env: [...containerEnv(spec).map((e) => `${e.name}=${e.value}`), ...secretEnv],
    Labels: { ...spec.labels, ...(options.labels ?? {}) },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    HostConfig: {
      AutoRemove: true,
      Runtime: spec.runtime,
      NetworkMode: networkModeOf(spec, options.egressSession),
      ...(spec.namespaces.pid === 'host' ? { PidMode: 'host' } : {}),
      ...(spec.namespaces.ipc === 'host' ? { IpcMode: 'host' } : {}),
      ...(spec.namespaces.uts === 'host' ? { UTSMode: 'host' } : {}),
      ...(spec.namespaces.userns === 'host' ? { UsernsMode: 'host' } : {}),
      ReadonlyRootfs: spec.readOnlyRoot,
      Tmpfs: Object.fromEntries(spec.tmpfs.map((t) => [t.path, t.options])),
      Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
      Memory: spec.memory,
      MemorySwap: spec.memorySwap,
      NanoCpus: spec.nanoCpus,
      PidsLimit: spec.pidsLimit,
      CapDrop: [...spec.capDrop],
      CapAdd: [...spec.capAdd],
      SecurityOpt: securityOpt,
      Privileged: spec.privileged,
      Init: spec.init,
    },
  };
}

/**
 * The Pod Security Standards "restricted" profile as data: every control of the Baseline policy
 * (which Restricted includes) and of the Restricted policy, with its restricted fields and
 * allowed values, transcribed from https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * (the current page, controls as of Kubernetes v1.3x; Non-root groups is no longer part of it).
 *
 * Each rule has `weak`: ways to fail it. A `profile` is YAML appended to a minimal hardened
 * profile and rendered by the emitter; a `mutate` changes the rendered Pod directly, for
 * controls no profile key can reach (the emitter never writes those fields). `fails` lists
 * every rule the weak Pod must fail: exactly these, no others.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IIoK8sApiCoreV1Container as Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1SecurityContext as SecurityContext } from 'kubernetes-models/v1/SecurityContext';

export interface WeakCase {
  why: string;
  profile?: string;
  mutate?: (pod: IPod) => void;
  fails: string[];
}

export interface PssRule {
  id: string;
  level: 'baseline' | 'restricted';
  control: string;
  fields: string[];
  allowed: string;
  /** Violations as `field: value` strings; empty when the Pod complies. */
  check: (pod: IPod) => string[];
  weak: WeakCase[];
}

type AnyContainer = Container & { kind: string };

/** containers, initContainers and ephemeralContainers, as the standard checks all three. */
function allContainers(pod: IPod): AnyContainer[] {
  const spec = pod.spec;
  return [
    ...(spec?.containers ?? []).map((c) => ({ ...c, kind: 'containers' })),
    ...(spec?.initContainers ?? []).map((c) => ({ ...c, kind: 'initContainers' })),
    ...((spec?.ephemeralContainers ?? []) as Container[]).map((c) => ({ ...c, kind: 'ephemeralContainers' })),
  ];
}

function eachContainer(pod: IPod, field: string, bad: (sc: SecurityContext | undefined, c: Container) => unknown): string[] {
  return allContainers(pod).flatMap((c) => {
    const value = bad(c.securityContext, c);
    return value === undefined || value === false ? [] : [`spec.${c.kind}[${c.name}].${field}: ${JSON.stringify(value)}`];
  });
}

const BASELINE_CAPS = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const ALLOWED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

const server = (pod: IPod): Container => pod.spec!.containers[0]!;
const serverSc = (pod: IPod): SecurityContext => (server(pod).securityContext ??= {});

export const PSS_RULES: PssRule[] = [
  {
    id: 'host-process',
    level: 'baseline',
    control: 'HostProcess',
    fields: ['spec.securityContext.windowsOptions.hostProcess', 'spec.{containers,initContainers,ephemeralContainers}[*].securityContext.windowsOptions.hostProcess'],
    allowed: 'undefined/nil, false',
    check: (pod) => [
      ...(pod.spec?.securityContext?.windowsOptions?.hostProcess ? ['spec.securityContext.windowsOptions.hostProcess: true'] : []),
      ...eachContainer(pod, 'securityContext.windowsOptions.hostProcess', (sc) => sc?.windowsOptions?.hostProcess === true),
    ],
    weak: [{ why: 'a Windows HostProcess container', mutate: (pod) => { serverSc(pod).windowsOptions = { hostProcess: true }; }, fails: ['host-process'] }],
  },
  {
    id: 'host-namespaces',
    level: 'baseline',
    control: 'Host Namespaces',
    fields: ['spec.hostNetwork', 'spec.hostPID', 'spec.hostIPC'],
    allowed: 'undefined/nil, false',
    check: (pod) => (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => pod.spec?.[k] === true).map((k) => `spec.${k}: true`),
    weak: [
      { why: 'namespaces.pid host', profile: 'namespaces: { pid: host }\n', fails: ['host-namespaces'] },
      { why: 'namespaces.ipc host', profile: 'namespaces: { ipc: host }\n', fails: ['host-namespaces'] },
      { why: 'network host', profile: 'network: host\n', fails: ['host-namespaces'] },
    ],
  },
  {
    id: 'privileged',
    level: 'baseline',
    control: 'Privileged Containers',
    fields: ['spec.{containers,initContainers,ephemeralContainers}[*].securityContext.privileged'],
    allowed: 'undefined/nil, false',
    check: (pod) => eachContainer(pod, 'securityContext.privileged', (sc) => sc?.privileged === true),
    // Kubernetes refuses privileged with allowPrivilegeEscalation false, so both fail.
    weak: [{ why: 'security.privileged', profile: 'security: { privileged: true }\n', fails: ['privileged', 'privilege-escalation'] }],
  },
  {
    id: 'capabilities-baseline',
    level: 'baseline',
    control: 'Capabilities',
    fields: ['spec.{containers,initContainers,ephemeralContainers}[*].securityContext.capabilities.add'],
    allowed: `undefined/nil, ${BASELINE_CAPS.join(', ')}`,
    check: (pod) => eachContainer(pod, 'securityContext.capabilities.add', (sc) => {
      const extra = (sc?.capabilities?.add ?? []).filter((c) => !BASELINE_CAPS.includes(c));
      return extra.length > 0 ? extra : undefined;
    }),
    // Restricted allows only NET_BIND_SERVICE, so a cap beyond the default set fails both.
    weak: [{ why: 'capAdd SYS_ADMIN', profile: 'security: { capAdd: [SYS_ADMIN] }\n', fails: ['capabilities-baseline', 'capabilities-restricted'] }],
  },
  {
    id: 'host-path',
    level: 'baseline',
    control: 'HostPath Volumes',
    fields: ['spec.volumes[*].hostPath'],
    allowed: 'undefined/nil',
    check: (pod) => (pod.spec?.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => `spec.volumes[${v.name}].hostPath: ${v.hostPath!.path}`),
    // hostPath is not among the restricted volume types either.
    weak: [{ why: 'a bind mount justified under MS301', profile: 'filesystem: { mounts: [{ source: /srv/data, target: /data }] }\njustifications: { MS301: node data on purpose }\n', fails: ['host-path', 'volume-types'] }],
  },
  {
    id: 'host-ports',
    level: 'baseline',
    control: 'Host Ports',
    fields: ['spec.{containers,initContainers,ephemeralContainers}[*].ports[*].hostPort'],
    allowed: 'undefined/nil, 0 (or a known list)',
    check: (pod) => eachContainer(pod, 'ports[*].hostPort', (_sc, c) => {
      const ports = (c.ports ?? []).map((p) => p.hostPort ?? 0).filter((p) => p !== 0);
      return ports.length > 0 ? ports : undefined;
    }),
    weak: [{ why: 'a hostPort', mutate: (pod) => { server(pod).ports = [{ containerPort: 8080, hostPort: 8080 }]; }, fails: ['host-ports'] }],
  },
  {
    id: 'apparmor',
    level: 'baseline',
    control: 'AppArmor',
    fields: ['spec.securityContext.appArmorProfile.type', 'spec.{containers,…}[*].securityContext.appArmorProfile.type', "metadata.annotations['container.apparmor.security.beta.kubernetes.io/*']"],
    allowed: 'undefined/nil, RuntimeDefault, Localhost (annotations: runtime/default, localhost/*)',
    check: (pod) => {
      const ok = (t: string | undefined): boolean => t === undefined || t === 'RuntimeDefault' || t === 'Localhost';
      const annotations = Object.entries(pod.metadata?.annotations ?? {}).filter(
        ([k, v]) => k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && !v.startsWith('localhost/'),
      );
      return [
        ...(ok(pod.spec?.securityContext?.appArmorProfile?.type) ? [] : [`spec.securityContext.appArmorProfile.type: ${pod.spec?.securityContext?.appArmorProfile?.type}`]),
        ...eachContainer(pod, 'securityContext.appArmorProfile.type', (sc) => (ok(sc?.appArmorProfile?.type) ? undefined : sc?.appArmorProfile?.type)),
        ...annotations.map(([k, v]) => `metadata.annotations[${k}]: ${v}`),
      ];
    },
    weak: [{ why: 'AppArmor Unconfined', mutate: (pod) => { serverSc(pod).appArmorProfile = { type: 'Unconfined' }; }, fails: ['apparmor'] }],
  },
  {
    id: 'selinux',
    level: 'baseline',
    control: 'SELinux',
    fields: ['spec.securityContext.seLinuxOptions.{type,user,role}', 'spec.{containers,…}[*].securityContext.seLinuxOptions.{type,user,role}'],
    allowed: `type: undefined, ${SELINUX_TYPES.map((t) => JSON.stringify(t)).join(', ')}; user and role: undefined, ""`,
    check: (pod) => {
      type Se = { type?: string; user?: string; role?: string } | undefined;
      const bad = (o: Se): unknown => {
        if (o === undefined) return undefined;
        const wrong = (o.type !== undefined && !SELINUX_TYPES.includes(o.type)) || (o.user ?? '') !== '' || (o.role ?? '') !== '';
        return wrong ? o : undefined;
      };
      const pod0 = bad(pod.spec?.securityContext?.seLinuxOptions);
      return [...(pod0 === undefined ? [] : [`spec.securityContext.seLinuxOptions: ${JSON.stringify(pod0)}`]), ...eachContainer(pod, 'securityContext.seLinuxOptions', (sc) => bad(sc?.seLinuxOptions))];
    },
    weak: [{ why: 'SELinux type spc_t', mutate: (pod) => { serverSc(pod).seLinuxOptions = { type: 'spc_t' }; }, fails: ['selinux'] }],
  },
  {
    id: 'proc-mount',
    level: 'baseline',
    control: '/proc Mount Type',
    fields: ['spec.{containers,initContainers,ephemeralContainers}[*].securityContext.procMount'],
    allowed: 'undefined/nil, Default',
    check: (pod) => eachContainer(pod, 'securityContext.procMount', (sc) => (sc?.procMount === undefined || sc.procMount === 'Default' ? undefined : sc.procMount)),
    weak: [{ why: 'procMount Unmasked', mutate: (pod) => { serverSc(pod).procMount = 'Unmasked'; }, fails: ['proc-mount'] }],
  },
  {
    id: 'seccomp-baseline',
    level: 'baseline',
    control: 'Seccomp',
    fields: ['spec.securityContext.seccompProfile.type', 'spec.{containers,initContainers,ephemeralContainers}[*].securityContext.seccompProfile.type'],
    allowed: 'undefined/nil, RuntimeDefault, Localhost',
    check: (pod) => [
      ...(pod.spec?.securityContext?.seccompProfile?.type === 'Unconfined' ? ['spec.securityContext.seccompProfile.type: Unconfined'] : []),
      ...eachContainer(pod, 'securityContext.seccompProfile.type', (sc) => (sc?.seccompProfile?.type === 'Unconfined' ? 'Unconfined' : undefined)),
    ],
    weak: [{ why: 'seccomp unconfined', profile: 'security: { seccomp: unconfined }\n', fails: ['seccomp-baseline', 'seccomp-restricted'] }],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    control: 'Sysctls',
    fields: ['spec.securityContext.sysctls[*].name'],
    allowed: `undefined/nil, ${SAFE_SYSCTLS.join(', ')}`,
    check: (pod) => (pod.spec?.securityContext?.sysctls ?? []).filter((s) => !SAFE_SYSCTLS.includes(s.name)).map((s) => `spec.securityContext.sysctls: ${s.name}`),
    weak: [{ why: 'an unsafe sysctl', mutate: (pod) => { pod.spec!.securityContext = { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] }; }, fails: ['sysctls'] }],
  },
  {
    id: 'volume-types',
    level: 'restricted',
    control: 'Volume Types',
    fields: ['spec.volumes[*]'],
    allowed: `only ${ALLOWED_VOLUME_TYPES.join(', ')}`,
    check: (pod) =>
      (pod.spec?.volumes ?? []).flatMap((v) => {
        const types = Object.keys(v).filter((k) => k !== 'name' && (v as unknown as Record<string, unknown>)[k] !== undefined);
        const bad = types.filter((t) => !ALLOWED_VOLUME_TYPES.includes(t));
        return bad.length > 0 ? [`spec.volumes[${v.name}]: ${bad.join(', ')}`] : [];
      }),
    weak: [{ why: 'an NFS volume', mutate: (pod) => { (pod.spec!.volumes ??= []).push({ name: 'nfs', nfs: { server: 'nfs.example', path: '/x' } }); }, fails: ['volume-types'] }],
  },
  {
    id: 'privilege-escalation',
    level: 'restricted',
    control: 'Privilege Escalation',
    fields: ['spec.{containers,initContainers,ephemeralContainers}[*].securityContext.allowPrivilegeEscalation'],
    allowed: 'false',
    check: (pod) => eachContainer(pod, 'securityContext.allowPrivilegeEscalation', (sc) => (sc?.allowPrivilegeEscalation === false ? undefined : String(sc?.allowPrivilegeEscalation))),
    weak: [{ why: 'security.noNewPrivileges false', profile: 'security: { noNewPrivileges: false }\n', fails: ['privilege-escalation'] }],
  },
  {
    id: 'run-as-non-root',
    level: 'restricted',
    control: 'Running as Non-root',
    fields: ['spec.securityContext.runAsNonRoot', 'spec.{containers,initContainers,ephemeralContainers}[*].securityContext.runAsNonRoot'],
    allowed: 'true (container fields may be undefined/nil if the pod-level field is true)',
    check: (pod) => {
      const podLevel = pod.spec?.securityContext?.runAsNonRoot;
      if (podLevel === false) return ['spec.securityContext.runAsNonRoot: false'];
      return eachContainer(pod, 'securityContext.runAsNonRoot', (sc) => {
        const v = sc?.runAsNonRoot;
        return v === true || (v === undefined && podLevel === true) ? undefined : String(v);
      });
    },
    weak: [
      { why: 'user 0 (root)', profile: 'user: "0"\n', fails: ['run-as-non-root', 'run-as-non-root-user'] },
      { why: 'runAsNonRoot false for a non-root uid', mutate: (pod) => { serverSc(pod).runAsNonRoot = false; }, fails: ['run-as-non-root'] },
    ],
  },
  {
    id: 'run-as-non-root-user',
    level: 'restricted',
    control: 'Running as Non-root user',
    fields: ['spec.securityContext.runAsUser', 'spec.{containers,initContainers,ephemeralContainers}[*].securityContext.runAsUser'],
    allowed: 'any non-zero value, undefined/null',
    check: (pod) => [
      ...(pod.spec?.securityContext?.runAsUser === 0 ? ['spec.securityContext.runAsUser: 0'] : []),
      ...eachContainer(pod, 'securityContext.runAsUser', (sc) => (sc?.runAsUser === 0 ? 0 : undefined)),
    ],
    weak: [{ why: 'runAsUser 0 with runAsNonRoot true', mutate: (pod) => { serverSc(pod).runAsUser = 0; }, fails: ['run-as-non-root-user'] }],
  },
  {
    id: 'seccomp-restricted',
    level: 'restricted',
    control: 'Seccomp (v1.19+)',
    fields: ['spec.securityContext.seccompProfile.type', 'spec.{containers,initContainers,ephemeralContainers}[*].securityContext.seccompProfile.type'],
    allowed: 'RuntimeDefault, Localhost (container fields may be undefined/nil if the pod-level field is set)',
    check: (pod) => {
      const ok = (t: string | undefined): boolean => t === 'RuntimeDefault' || t === 'Localhost';
      const podType = pod.spec?.securityContext?.seccompProfile?.type;
      if (podType !== undefined && !ok(podType)) return [`spec.securityContext.seccompProfile.type: ${podType}`];
      return eachContainer(pod, 'securityContext.seccompProfile.type', (sc) => {
        const t = sc?.seccompProfile?.type;
        return ok(t) || (t === undefined && podType !== undefined) ? undefined : t ?? 'undefined';
      });
    },
    weak: [{ why: 'no seccompProfile at all', mutate: (pod) => { delete serverSc(pod).seccompProfile; }, fails: ['seccomp-restricted'] }],
  },
  {
    id: 'capabilities-restricted',
    level: 'restricted',
    control: 'Capabilities (v1.22+)',
    fields: ['spec.{containers,initContainers,ephemeralContainers}[*].securityContext.capabilities.drop', 'spec.{containers,initContainers,ephemeralContainers}[*].securityContext.capabilities.add'],
    allowed: 'drop: any list that includes ALL; add: undefined/nil, NET_BIND_SERVICE',
    check: (pod) => [
      ...eachContainer(pod, 'securityContext.capabilities.drop', (sc) => ((sc?.capabilities?.drop ?? []).includes('ALL') ? undefined : sc?.capabilities?.drop ?? 'undefined')),
      ...eachContainer(pod, 'securityContext.capabilities.add', (sc) => {
        const extra = (sc?.capabilities?.add ?? []).filter((c) => c !== 'NET_BIND_SERVICE');
        return extra.length > 0 ? extra : undefined;
      }),
    ],
    weak: [
      { why: 'capDrop without ALL', profile: 'security: { capDrop: [NET_RAW] }\n', fails: ['capabilities-restricted'] },
      { why: 'capAdd CHOWN (in the baseline set, not NET_BIND_SERVICE)', profile: 'security: { capAdd: [CHOWN] }\n', fails: ['capabilities-restricted'] },
    ],
  },
];

/** The ids of every rule the Pod fails. */
export function failedRules(pod: IPod): string[] {
  return PSS_RULES.filter((r) => r.check(pod).length > 0).map((r) => r.id);
}

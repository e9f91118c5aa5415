/**
 * The egress allowlist's proxy as Kubernetes objects (part of emitter 3, k8s.ts; docs/kubernetes.md
 * "Egress allowlist"): a ConfigMap with the proxy's and resolver's configurations, a Deployment
 * running both (the mcp-sandbox/egress image, under gVisor, PSS restricted), a Service with a
 * fixed cluster IP that is the sandbox Pod's only nameserver and the address of every allowed
 * name, and the proxy's own NetworkPolicy (in: only the profile's sandbox Pods; out: the
 * cluster DNS, and public addresses on the allowed ports). The input is computed from the
 * egress plan by src/egress/k8s.ts.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IIoK8sApiCoreV1Container as Container } from 'kubernetes-models/v1/Container';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { LABELS } from '../labels.js';
import { GVISOR_RUNTIME_CLASS } from './k8s-pod.js';
import type { SandboxSpec } from './spec.js';

/** What the emitter needs of an egress plan (built by src/egress/k8s.ts `k8sEgress`). */
export interface K8sEgress {
  /** The proxy Service's fixed cluster IP: the sandbox's nameserver and every allowed name's address. */
  serviceIp: string;
  image: string;
  /** Service port (what the sandbox connects to) -> proxy listener. */
  ports: ReadonlyArray<{ port: number; listenPort: number }>;
  /** Where the proxy Pod's resolver listens (the Service maps port 53 to it). */
  dnsPort: number;
  /** Listed addresses (`10.1.2.3:5432/tcp`): with no firewall to translate them they are reached directly, the policy admitting only that address and port. */
  direct: ReadonlyArray<{ address: string; port: number }>;
  /** The proxy's upstreams: any address outside these ranges, on the allowed ports. */
  refusedRanges: readonly string[];
  configs: { haproxy: string; dnsmasq: string };
}

/** Label value of the egress proxy's Pods (key LABELS.egress), as on the docker side. */
export const EGRESS_PROXY_PART = 'proxy';

/**
 * The proxy Pods' labels. Never LABELS.profile: every sandbox policy selects that label, and the
 * proxy must not fall under its own client's policy.
 */
export function proxySelector(spec: SandboxSpec): Record<string, string> {
  return { [LABELS.egress]: EGRESS_PROXY_PART, 'app.kubernetes.io/part-of': spec.name };
}

/** The sandbox Pod resolves only through the proxy's Service. */
export function withEgressDns(pod: IPod, egress: K8sEgress): IPod {
  return { ...pod, spec: { ...pod.spec!, dnsPolicy: 'None', dnsConfig: { nameservers: [egress.serviceIp], options: [{ name: 'ndots', value: '1' }] } } };
}

function objectMeta(spec: SandboxSpec): { name: string; labels: Record<string, string> } {
  return { name: `${spec.name}-egress`, labels: { 'app.kubernetes.io/managed-by': 'mcp-sandbox', 'app.kubernetes.io/name': `${spec.name}-egress`, ...proxySelector(spec) } };
}

function container(role: 'dns' | 'proxy', egress: K8sEgress, configMap: string): Container {
  return {
    name: role,
    image: egress.image,
    imagePullPolicy: 'Never',
    args: ['/egress/entry.sh', role],
    env: [{ name: 'EGRESS_CONFIG', valueFrom: { configMapKeyRef: { name: configMap, key: role === 'dns' ? 'dnsmasq.conf' : 'haproxy.cfg' } } }],
    resources: { limits: { cpu: '1', memory: '64Mi' }, requests: { cpu: '1', memory: '64Mi' } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

function deployment(spec: SandboxSpec, egress: K8sEgress): IDeployment {
  const meta = objectMeta(spec);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      replicas: 1,
      selector: { matchLabels: proxySelector(spec) },
      template: {
        metadata: { labels: meta.labels },
        spec: {
          runtimeClassName: GVISOR_RUNTIME_CLASS,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [container('dns', egress, meta.name), container('proxy', egress, meta.name)],
          volumes: [{ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '4Mi' } }],
        },
      },
    },
  };
}

function service(spec: SandboxSpec, egress: K8sEgress): IService {
  const dns = (protocol: 'UDP' | 'TCP'): NonNullable<NonNullable<IService['spec']>['ports']>[number] => ({ name: `dns-${protocol.toLowerCase()}`, protocol, port: 53, targetPort: egress.dnsPort });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(spec),
    spec: {
      clusterIP: egress.serviceIp,
      selector: proxySelector(spec),
      ports: [dns('UDP'), dns('TCP'), ...egress.ports.map((p) => ({ name: `port-${p.port}`, protocol: 'TCP' as const, port: p.port, targetPort: p.listenPort }))],
    },
  };
}

/** In: the profile's sandbox Pods, on the listeners and the resolver. Out: cluster DNS (for upstream names) and public addresses on the allowed ports. */
function proxyPolicy(spec: SandboxSpec, egress: K8sEgress): INetworkPolicy {
  const meta = objectMeta(spec);
  const dnsPorts = (port: number): Array<{ protocol: 'UDP' | 'TCP'; port: number }> => [{ protocol: 'UDP', port }, { protocol: 'TCP', port }];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${spec.name}-egress-proxy`, labels: meta.labels },
    spec: {
      podSelector: { matchLabels: proxySelector(spec) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { [LABELS.profile]: spec.name } } }],
          ports: [...dnsPorts(egress.dnsPort), ...egress.ports.map((p) => ({ protocol: 'TCP' as const, port: p.listenPort }))],
        },
      ],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: dnsPorts(53) },
        ...(egress.ports.length === 0
          ? []
          : [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...egress.refusedRanges] } }], ports: [...new Set(egress.ports.map((p) => p.port))].map((port) => ({ protocol: 'TCP' as const, port })) }]),
      ],
    },
  };
}

/** The proxy's objects, in the order they are printed. */
export function toEgressObjects(spec: SandboxSpec, egress: K8sEgress): Array<IConfigMap | IDeployment | IService | INetworkPolicy> {
  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(spec),
    data: { 'dnsmasq.conf': egress.configs.dnsmasq, 'haproxy.cfg': egress.configs.haproxy },
  };
  return [configMap, deployment(spec, egress), service(spec, egress), proxyPolicy(spec, egress)];
}

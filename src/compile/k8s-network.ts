/**
 * The profile's `network` as NetworkPolicies (part of emitter 3, k8s.ts). A policy only binds
 * where the cluster's network plugin enforces NetworkPolicy: docs/kubernetes.md says so.
 */
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { LABELS } from '../labels.js';
import { proxySelector, type K8sEgress } from './k8s-egress.js';
import type { SandboxSpec } from './spec.js';

/** Policies for the sandbox Pod; `notes` gets what the reader must know. */
export function toNetworkPolicies(spec: SandboxSpec, labels: Record<string, string>, notes: string[], egress?: K8sEgress): INetworkPolicy[] {
  const podSelector = { matchLabels: { [LABELS.profile]: spec.name } };
  const metadata = (suffix: string): INetworkPolicy['metadata'] => ({ name: `${spec.name}-${suffix}`, labels: { ...labels } });
  if (egress !== undefined) {
    return [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: metadata('egress-proxy-only'),
        spec: {
          podSelector,
          policyTypes: ['Ingress', 'Egress'],
          egress: [
            {
              to: [{ podSelector: { matchLabels: proxySelector(spec) } }],
              ports: [
                { protocol: 'UDP', port: egress.dnsPort },
                { protocol: 'TCP', port: egress.dnsPort },
                ...egress.ports.map((p) => ({ protocol: 'TCP' as const, port: p.listenPort })),
              ],
            },
            ...egress.direct.map((d) => ({ to: [{ ipBlock: { cidr: `${d.address}/32` } }], ports: [{ protocol: 'TCP' as const, port: d.port }] })),
          ],
        },
      },
    ];
  }
  const denyAll = (): INetworkPolicy[] => [
    // No rules under both types: nothing in, nothing out (DNS included), as --network=none.
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: metadata('deny-all'), spec: { podSelector, policyTypes: ['Ingress', 'Egress'] } },
  ];
  switch (spec.network) {
    case 'none':
      return denyAll();
    case 'bridge':
      notes.push('network bridge: egress is not restricted (the whole cluster network and beyond, as bridge reaches everything); ingress is denied, as docker publishes no port');
      return [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: metadata('deny-ingress'), spec: { podSelector, policyTypes: ['Ingress'] } }];
    case 'host':
      notes.push("network host: hostNetwork, the node's network stack; NetworkPolicy does not apply to such a Pod");
      return [];
    default:
      // A mode this emitter does not know yet (an allowlist without its egress plan): closed.
      notes.push(`network ${String(spec.network)}: not rendered for Kubernetes yet, so all egress and ingress are denied`);
      return denyAll();
  }
}

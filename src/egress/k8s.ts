/**
 * The egress allowlist for Kubernetes (docs/kubernetes.md, "Egress allowlist"): what the k8s
 * emitter (src/compile/k8s-egress.ts) needs of an egress plan. A Pod under PSS restricted gets
 * no NET_ADMIN, so there is no firewall to translate virtual addresses as on docker; instead
 * the sandbox Pod's only nameserver is the proxy's Service, whose resolver answers every allowed
 * name with that Service's address, and NetworkPolicies admit only the proxy. The Service maps
 * each destination port to the proxy listener of that port.
 */
import type { K8sEgress } from '../compile/k8s-egress.js';
import type { SandboxSpec } from '../compile/spec.js';
import { SandboxError } from '../errors.js';
import { VERSION } from '../version.js';
import { DNS_PORT, dnsmasqConfig, haproxyConfig } from './configs.js';
import { planEgress, type EgressPlan } from './plan.js';
import { REFUSED_RANGES } from './ranges.js';

/**
 * The proxy Service's cluster IP when `render` is given none: inside kubeadm's default service
 * range 10.96.0.0/12; clusters differ, so the rendered comment says to choose one (--egress-ip).
 */
export const DEFAULT_EGRESS_SERVICE_IP = '10.96.0.53';

/** The image of the proxy Pod's two containers (the docker side builds it as mcp-sandbox/egress:local). */
export const K8S_EGRESS_IMAGE = `mcp-sandbox/egress:${VERSION}`;

/** The Kubernetes rendering of `plan`; refuses what one Service address cannot route. */
export function k8sEgress(plan: EgressPlan, serviceIp: string = DEFAULT_EGRESS_SERVICE_IP): K8sEgress {
  const ports: Array<{ port: number; listenPort: number }> = [];
  const direct: Array<{ address: string; port: number }> = [];
  for (const listener of plan.listeners) {
    if (listener.route === 'address') {
      direct.push({ address: listener.address, port: listener.port });
      continue;
    }
    const taken = ports.find((p) => p.port === listener.port);
    if (taken !== undefined) {
      throw new SandboxError('PROFILE_INVALID', `network.allow cannot be rendered for Kubernetes: two entries of port ${listener.port} need their own proxy listener, and the proxy's Service has one address`, {
        hint: 'give the /tcp entry a port of its own, or render this profile for docker only',
      });
    }
    ports.push({ port: listener.port, listenPort: listener.listenPort });
  }
  const answered: EgressPlan = { ...plan, dns: plan.dns.map((answer) => ({ ...answer, address: serviceIp })) };
  return {
    serviceIp,
    image: K8S_EGRESS_IMAGE,
    ports,
    dnsPort: DNS_PORT,
    direct,
    refusedRanges: REFUSED_RANGES,
    configs: { haproxy: haproxyConfig(plan), dnsmasq: dnsmasqConfig(answered, null) },
  };
}

/** The k8s egress input of an allowlisted spec, or undefined (every caller of the k8s emitter goes through this). */
export function k8sEgressOf(spec: Pick<SandboxSpec, 'egress'>, serviceIp?: string): K8sEgress | undefined {
  return spec.egress === undefined ? undefined : k8sEgress(planEgress(spec.egress.entries), serviceIp);
}

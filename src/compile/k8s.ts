/**
 * Emitter 3: Kubernetes manifests for a SandboxSpec, the same sandbox the docker argv and the
 * Engine API body describe (docs/kubernetes.md maps every profile key). Deterministic: objects
 * are built in a fixed key order and printed as YAML documents separated by `---`, each led by
 * comments for what Kubernetes cannot express the docker way.
 */
import { Document } from 'yaml';
import { SandboxError } from '../errors.js';
import { toEgressObjects, withEgressDns, type K8sEgress } from './k8s-egress.js';
import { toNetworkPolicies } from './k8s-network.js';
import { podLabels, toPod, type PodContext } from './k8s-pod.js';
import { toServeObjects, type K8sServeOptions } from './k8s-serve.js';
import type { SandboxSpec } from './spec.js';

export type { K8sEgress } from './k8s-egress.js';
export type { K8sServeOptions } from './k8s-serve.js';

/** Inputs beyond the spec. */
export interface K8sOptions {
  /** The profile's justifications (a bind mount becomes a hostPath only under MS301). */
  justifications?: Readonly<Record<string, string>>;
  /** The loader's `locate`: refusals then name file, line and column of the key. */
  locate?: PodContext['locate'];
  /** An allowlist's proxy (src/egress/k8s.ts `k8sEgress`); without it an allowlisted profile renders closed (deny-all). */
  egress?: K8sEgress;
  /** Emit `serve` (Deployment + Service) in front of per-session sandbox Pods. */
  serve?: K8sServeOptions;
}

/** One Kubernetes object and the comment lines printed above it. */
export interface K8sManifest {
  object: { apiVersion: string; kind: string; metadata?: { name?: string } };
  comments: string[];
}

/** The objects for a sandbox: Pod (or, with `serve`, its serve objects) and NetworkPolicies. */
export function toK8sManifests(spec: SandboxSpec, options: K8sOptions = {}): K8sManifest[] {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(spec.name)) {
    const location = options.locate?.('/name');
    throw new SandboxError('PROFILE_INVALID', `profile name "${spec.name}" is not a valid Kubernetes object name`, {
      hint: 'a Kubernetes name ends with a letter or digit: rename the profile',
      ...(location === undefined ? {} : { location }),
    });
  }
  const podNotes: string[] = [];
  const ctx = { justifications: options.justifications ?? {}, notes: podNotes, ...(options.locate ? { locate: options.locate } : {}) };
  const egress = spec.network === 'allow' ? options.egress : undefined;
  const pod = egress === undefined ? toPod(spec, ctx) : withEgressDns(toPod(spec, ctx), egress);
  const networkNotes: string[] = [];
  const policies = toNetworkPolicies(spec, podLabels(spec, ctx), networkNotes, egress);
  const header = [`mcp-sandbox render ${spec.name} --format k8s${options.serve ? ' --serve' : ''}`];
  if (spec.secrets.length > 0) {
    header.push(`secrets come from the Secret "${spec.name}" (one key per name): kubectl create secret generic ${spec.name} ${spec.secrets.map((s) => `--from-literal=${s}=...`).join(' ')}`);
  }
  const podComments = [...header, ...podNotes.map((n) => `note: ${n}`)];
  const policyManifests: K8sManifest[] = policies.map((object) => ({ object, comments: networkNotes.map((n) => `note: ${n}`) }));
  if (egress !== undefined) policyManifests.push(...egressManifests(spec, egress));
  if (options.serve !== undefined) {
    const serve = toServeObjects(spec, pod, options.serve);
    return [{ ...serve[0]!, comments: [...podComments, ...serve[0]!.comments] }, ...serve.slice(1), ...policyManifests];
  }
  if (networkNotes.length > 0 && policyManifests.length === 0) podComments.push(...networkNotes.map((n) => `note: ${n}`));
  return [{ object: pod, comments: podComments }, ...policyManifests];
}

function egressManifests(spec: SandboxSpec, egress: K8sEgress): K8sManifest[] {
  const [first, ...rest] = toEgressObjects(spec, egress).map((object) => ({ object, comments: [] as string[] }));
  first!.comments.push(
    `egress allowlist: the proxy (${egress.image}; build it with scripts/build-egress-image.sh and load it on the nodes) answers the allowed names with its Service's address ${egress.serviceIp}, the sandbox's only nameserver`,
    `choose that address in your cluster's service range: mcp-sandbox render ${spec.name} --format k8s --egress-ip <address>`,
  );
  return [first!, ...rest];
}

/** YAML documents, `---` between them; keys in the order the emitter built them. */
export function toK8sYaml(manifests: readonly K8sManifest[]): string {
  return manifests
    .map(({ object, comments }) => {
      const doc = new Document(object);
      if (comments.length > 0) doc.commentBefore = comments.map((c) => ` ${c}`).join('\n');
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

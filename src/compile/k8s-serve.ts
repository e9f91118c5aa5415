/**
 * `render --format k8s --serve`: `mcp-sandbox serve` as a Deployment + Service in front of the
 * sandbox Pods, one per MCP session, created from the Pod of k8s-pod.ts kept as a template in
 * a ConfigMap. `serve` itself exists with the Docker engine as its sandbox backend; its
 * Kubernetes backend does not yet: docs/kubernetes.md lists what it must provide (the template
 * path, the RBAC below).
 */
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { stringify } from 'yaml';
import { VERSION } from '../version.js';
import type { K8sManifest } from './k8s.js';
import type { SandboxSpec } from './spec.js';

export interface K8sServeOptions {
  /** The image with the mcp-sandbox CLI. */
  image: string;
  /** The merged profile as YAML: what `serve` loads inside the Deployment. */
  profileYaml: string;
  /** The container port `serve` listens on. */
  port: number;
}

/** The default image with the mcp-sandbox CLI for the serve Deployment (`--serve-image` overrides). */
export const SERVE_IMAGE = `mcp-sandbox/cli:${VERSION}`;
/** The port `serve` listens on inside its Pod and the Service's port. */
export const SERVE_PORT = 8080;

/** Where the ConfigMap is mounted in the serve container. */
export const SERVE_CONFIG_DIR = '/etc/mcp-sandbox';
/** Environment variable naming the Pod template file (the contract with a k8s backend of serve). */
export const POD_TEMPLATE_ENV = 'MCP_SANDBOX_K8S_POD_TEMPLATE';

/** The serve options `render --format k8s --serve` uses: the merged profile (no `extends`: the chain is resolved) for serve to load. */
export function serveOptionsOf(merged: { extends?: unknown }, image: string = SERVE_IMAGE): K8sServeOptions {
  const { extends: _extends, ...profile } = merged;
  return { image, profileYaml: stringify(profile, { lineWidth: 0 }), port: SERVE_PORT };
}

/** ConfigMap, ServiceAccount + Role + RoleBinding (pods in this namespace), Deployment, Service. */
export function toServeObjects(spec: SandboxSpec, pod: IPod, options: K8sServeOptions): K8sManifest[] {
  const name = `${spec.name}-serve`;
  const labels = { 'app.kubernetes.io/managed-by': 'mcp-sandbox', 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': spec.name };
  const metadata = { name, labels };
  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata,
    data: { 'profile.yaml': options.profileYaml, 'sandbox-pod.yaml': stringify(pod, { lineWidth: 0 }) },
  };
  const account: IServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: true };
  const role: IRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata,
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods/attach'], verbs: ['create', 'get'] },
    ],
  };
  const binding: IRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name }],
  };
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: { selector: { 'app.kubernetes.io/name': name }, ports: [{ name: 'http', port: options.port, targetPort: 'http', protocol: 'TCP' }] },
  };
  return [
    { object: configMap, comments: ['serve: needs the Kubernetes sandbox backend of `mcp-sandbox serve`, not built yet (docs/kubernetes.md)'] },
    { object: account, comments: [] },
    { object: role, comments: ['serve creates one sandbox Pod per MCP session from sandbox-pod.yaml, attaches to it and deletes it'] },
    { object: binding, comments: [] },
    { object: deployment(name, labels, options), comments: [] },
    { object: service, comments: ['TLS belongs to an Ingress or reverse proxy in front of this Service'] },
  ];
}

function deployment(name: string, labels: Record<string, string>, options: K8sServeOptions): IDeployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          enableServiceLinks: false,
          containers: [
            {
              name: 'serve',
              image: options.image,
              args: ['serve', `${SERVE_CONFIG_DIR}/profile.yaml`, '--listen', `0.0.0.0:${options.port}`],
              env: [{ name: POD_TEMPLATE_ENV, value: `${SERVE_CONFIG_DIR}/sandbox-pod.yaml` }],
              ports: [{ name: 'http', containerPort: options.port, protocol: 'TCP' }],
              securityContext: {
                runAsNonRoot: true,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [{ name: 'config', mountPath: SERVE_CONFIG_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: 'config', configMap: { name } }],
        },
      },
    },
  };
}

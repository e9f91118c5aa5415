/**
 * Validation of rendered objects against the Kubernetes OpenAPI schema, through the validators
 * that kubernetes-models (devDependency) generates from it, one model class per kind.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { K8sManifest } from '../../../src/compile/k8s.js';

type Validating = new (data: never) => { validate(): void };

const MODELS: Record<string, Validating> = {
  'v1/Pod': Pod,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

/** Throws the validator's message for the first object that does not match its schema. */
export function validateManifests(manifests: readonly K8sManifest[]): void {
  for (const { object } of manifests) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (Model === undefined) throw new Error(`no schema model for ${object.apiVersion} ${object.kind}`);
    try {
      new Model(structuredClone(object) as never).validate();
    } catch (error) {
      throw new Error(`${object.kind} ${object.metadata?.name}: ${(error as Error).message}`);
    }
  }
}

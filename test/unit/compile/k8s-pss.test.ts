/**
 * Every shipped profile's Kubernetes rendering passes the schema and each Pod Security
 * Standards "restricted" rule (pss-restricted.ts); each rule has deliberately weak inputs that
 * fail exactly the rules they name.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { parseAllDocuments } from 'yaml';
import { toK8sManifests, toK8sYaml, type K8sManifest } from '../../../src/compile/k8s.js';
import { compileSpec } from '../../../src/compile/spec.js';
import { loadProfile } from '../../../src/profile/load.js';
import { k8sEgressOf } from '../../../src/egress/k8s.js';
import { PSS_RULES, failedRules } from './pss-restricted.js';
import { validateManifests } from './k8s-schema.js';
import { compileFile, shippedProfiles } from './shipped.js';

const HARDENED = 'version: 1\nname: weak\nimage: busybox:1\n';
/** The images' non-root user, unless the weak input sets its own. */
const USER = 'user: "10001:10001"\n';

function render(yaml: string): K8sManifest[] {
  const loaded = loadProfile('/virtual/p.yaml', {
    env: {},
    home: '/home/user',
    readFile: (f) => {
      if (f === '/virtual/p.yaml') return HARDENED + (/^user:/m.test(yaml) ? '' : USER) + yaml;
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
  });
  return toK8sManifests(compileSpec(loaded.profile), { justifications: loaded.profile.justifications });
}

function podOf(manifests: K8sManifest[]): IPod {
  const pod = manifests.find((m) => m.object.kind === 'Pod')?.object as IPod | undefined;
  if (pod === undefined) throw new Error('no Pod rendered');
  return structuredClone(pod);
}

describe('PSS restricted: the check list', () => {
  it('has every Baseline and Restricted control once', () => {
    expect(PSS_RULES.filter((r) => r.level === 'baseline')).toHaveLength(11);
    expect(PSS_RULES.filter((r) => r.level === 'restricted')).toHaveLength(6);
    expect(new Set(PSS_RULES.map((r) => r.id)).size).toBe(PSS_RULES.length);
  });

  it('the hardened minimal profile passes every rule', () => {
    expect(failedRules(podOf(render('')))).toEqual([]);
  });
});

describe.each(shippedProfiles())('shipped profile $name on Kubernetes', ({ file }) => {
  const { loaded, spec } = compileFile(file);
  const egress = k8sEgressOf(spec);
  const manifests = toK8sManifests(spec, { justifications: loaded.profile.justifications, egress });
  const pod = podOf(manifests);

  it('every object passes the Kubernetes schema, as built and as printed (YAML parsed back)', () => {
    expect(() => validateManifests(manifests)).not.toThrow();
    const printed = parseAllDocuments(toK8sYaml(manifests)).map((d) => ({ object: d.toJS() as K8sManifest['object'], comments: [] }));
    expect(printed.map((p) => p.object)).toEqual(manifests.map((m) => m.object));
    expect(() => validateManifests(printed)).not.toThrow();
  });

  it.each(PSS_RULES.map((r) => [r.id, r] as const))('passes PSS %s', (_id, rule) => {
    expect(rule.check(pod)).toEqual([]);
  });

  if (egress !== undefined) {
    it('its egress proxy Pod (the Deployment template) passes every PSS rule', () => {
      const deployment = manifests.find((m) => m.object.kind === 'Deployment')?.object as IDeployment;
      expect(failedRules({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: deployment.spec!.template.spec } as IPod)).toEqual([]);
    });
  }

  it('with --serve: schema-valid, and the serve Pod and the sandbox Pod template pass every PSS rule', () => {
    const served = toK8sManifests(spec, { justifications: loaded.profile.justifications, egress, serve: { image: 'mcp-sandbox/cli:test', profileYaml: 'version: 1\n', port: 8080 } });
    expect(() => validateManifests(served)).not.toThrow();
    const deployment = served.find((m) => m.object.kind === 'Deployment' && m.object.metadata?.name === `${spec.name}-serve`)?.object as IDeployment;
    const servePod = { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: deployment.spec!.template.spec } as IPod;
    expect(failedRules(servePod)).toEqual([]);
    expect(served.some((m) => m.object.kind === 'Pod')).toBe(false);
  });
});

describe.each(PSS_RULES.map((r) => [r.id, r] as const))('PSS %s rejects', (_id, rule) => {
  it.each(rule.weak.map((w) => [w.why, w] as const))('%s', (_why, weak) => {
    const manifests = render(weak.profile ?? '');
    const pod = podOf(manifests);
    weak.mutate?.(pod);
    expect(() => validateManifests([{ object: pod, comments: [] }])).not.toThrow();
    expect(rule.check(pod).length).toBeGreaterThan(0);
    expect(failedRules(pod).sort()).toEqual([...weak.fails].sort());
  });
});

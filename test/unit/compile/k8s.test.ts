/**
 * Emitter 3 (Kubernetes) key by key: what each profile key becomes, what is refused, and the
 * YAML form. Goldens for the shipped profiles are in golden.test.ts; PSS and schema in
 * k8s-pss.test.ts.
 */
import { parseAllDocuments } from 'yaml';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { toK8sManifests, toK8sYaml, type K8sManifest, type K8sOptions } from '../../../src/compile/k8s.js';
import { k8sEgressOf } from '../../../src/egress/k8s.js';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IService } from 'kubernetes-models/v1/Service';
import { failedRules } from './pss-restricted.js';
import { byteQuantity, cpuQuantity } from '../../../src/compile/k8s-pod.js';
import { compileSpec } from '../../../src/compile/spec.js';
import { SandboxError } from '../../../src/errors.js';
import { loadProfile } from '../../../src/profile/load.js';
import { validateManifests } from './k8s-schema.js';

const HEAD = 'version: 1\nname: t\nimage: busybox:1\n';

function render(yaml: string, options: Omit<K8sOptions, 'justifications'> = {}, env: NodeJS.ProcessEnv = {}): K8sManifest[] {
  const loaded = loadProfile('/virtual/p.yaml', {
    env,
    home: '/home/user',
    readFile: (f) => {
      if (f === '/virtual/p.yaml') return HEAD + yaml;
      if (f === '/virtual/sec.json') return '{ "defaultAction": "SCMP_ACT_ALLOW" }\n';
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
  });
  const manifests = toK8sManifests(compileSpec(loaded.profile), { ...options, justifications: loaded.profile.justifications, locate: loaded.locate });
  validateManifests(manifests);
  return manifests;
}

const pod = (m: K8sManifest[]): IPod => m.find((x) => x.object.kind === 'Pod')!.object as IPod;
const container = (m: K8sManifest[]) => pod(m).spec!.containers[0]!;
const policies = (m: K8sManifest[]): INetworkPolicy[] => m.filter((x) => x.object.kind === 'NetworkPolicy').map((x) => x.object as INetworkPolicy);
const comments = (m: K8sManifest[]): string => m.flatMap((x) => x.comments).join('\n');

describe('the schema validator', () => {
  it('rejects what the Kubernetes schema rejects (so passing it means something)', () => {
    const bad = structuredClone(pod(render('')));
    (bad.spec!.containers[0]!.securityContext as Record<string, unknown>).runAsUser = 'nobody';
    expect(() => validateManifests([{ object: bad, comments: [] }])).toThrow(/runAsUser must be integer/);
  });
});

describe('runtime', () => {
  it('runsc -> runtimeClassName gvisor', () => {
    expect(pod(render('')).spec!.runtimeClassName).toBe('gvisor');
  });
  it('runc -> no runtimeClassName, and the output says so', () => {
    const m = render('runtime: runc\n');
    expect(pod(m).spec).not.toHaveProperty('runtimeClassName');
    expect(comments(m)).toMatch(/runtime runc: no runtimeClassName/);
  });
});

describe('user and security context', () => {
  it('uid:gid -> runAsUser and runAsGroup, runAsNonRoot', () => {
    expect(container(render('user: "10001:10002"\n')).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10002 });
  });
  it('uid only -> no runAsGroup; no user -> runAsNonRoot alone (the kubelet checks the image user)', () => {
    expect(container(render('user: "1000"\n')).securityContext).not.toHaveProperty('runAsGroup');
    const sc = container(render('')).securityContext!;
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc).not.toHaveProperty('runAsUser');
  });
  it('uid 0 -> runAsNonRoot false (PSS fails it, as lint MS402 does)', () => {
    expect(container(render('user: "0"\n')).securityContext).toMatchObject({ runAsNonRoot: false, runAsUser: 0 });
  });
  it('a user name is refused: Kubernetes takes numbers only', () => {
    expect(() => render('user: node\n')).toThrow(SandboxError);
    expect(() => render('user: node\n')).toThrow(/user "node" cannot be rendered for Kubernetes/);
  });
  it('a refusal names the file, line and column of the key', () => {
    let error: unknown;
    try {
      render('env: { A: "1" }\nuser: node\n');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).location).toEqual({ file: '/virtual/p.yaml', line: 5, column: 7 });
  });
  it('the hardened defaults', () => {
    expect(container(render('')).securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod(render('')).spec).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false, enableServiceLinks: false, shareProcessNamespace: true });
  });
  it('weakened settings are spelled out', () => {
    const m = render('filesystem: { readOnlyRoot: false }\nsecurity: { capAdd: [CAP_NET_BIND_SERVICE], capDrop: [NET_RAW], noNewPrivileges: false, seccomp: unconfined, init: false }\nnamespaces: { pid: host, ipc: host, uts: host }\n');
    expect(container(m).securityContext).toMatchObject({
      readOnlyRootFilesystem: false,
      allowPrivilegeEscalation: true,
      capabilities: { add: ['NET_BIND_SERVICE'], drop: ['NET_RAW'] },
      seccompProfile: { type: 'Unconfined' },
    });
    expect(pod(m).spec).toMatchObject({ hostPID: true, hostIPC: true });
    expect(pod(m).spec).not.toHaveProperty('shareProcessNamespace');
    expect(pod(m).metadata!.annotations).toMatchObject({ 'mcp-sandbox/uts-namespace': 'host' });
  });
  it('privileged -> privileged and allowPrivilegeEscalation true (Kubernetes refuses the pair otherwise)', () => {
    expect(container(render('security: { privileged: true }\n')).securityContext).toMatchObject({ privileged: true, allowPrivilegeEscalation: true });
  });
  it('a seccomp file -> Localhost with the documented path on the node', () => {
    const m = render('security: { seccomp: ./sec.json }\n');
    expect(container(m).securityContext!.seccompProfile).toEqual({ type: 'Localhost', localhostProfile: 'mcp-sandbox/t.json' });
    expect(pod(m).metadata!.annotations!['mcp-sandbox/seccomp-file']).toBe('/virtual/sec.json');
    expect(comments(m)).toMatch(/copy \/virtual\/sec\.json to .*mcp-sandbox\/t\.json/);
  });
});

describe('resources', () => {
  it('limits equal requests for memory and CPU; pids as annotation and note', () => {
    const m = render('resources: { memory: 256m, cpus: 0.5, pids: 100 }\n');
    expect(container(m).resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '500m', memory: '256Mi' } });
    expect(pod(m).metadata!.annotations!['mcp-sandbox/pids-limit']).toBe('100');
    expect(comments(m)).toMatch(/podPidsLimit: 100/);
  });
  it('no limits -> no resources and no pids annotation', () => {
    const m = render('resources: { memory: 0, cpus: 0, pids: -1 }\n');
    expect(container(m)).not.toHaveProperty('resources');
    expect(pod(m).metadata).not.toHaveProperty('annotations');
  });
  it.each([
    [1e9, '1'],
    [3e9, '3'],
    [1.5e9, '1500m'],
    [1e6, '1m'],
    [1, '1m'],
  ])('cpu %d nano -> %s', (nano, q) => expect(cpuQuantity(nano)).toBe(q));
  it.each([
    [2 ** 30, '1Gi'],
    [512 * 2 ** 20, '512Mi'],
    [3 * 2 ** 10, '3Ki'],
    [1000, '1000'],
  ])('%d bytes -> %s', (b, q) => expect(byteQuantity(b)).toBe(q));
});

describe('filesystem', () => {
  it('tmpfs -> memory emptyDir with sizeLimit, mounted at the path', () => {
    const m = render('filesystem:\n  tmpfs:\n    - { path: /tmp, size: 64m }\n    - { path: /big, size: 1g }\n    - { path: /nosize }\n');
    expect(pod(m).spec!.volumes).toEqual([
      { name: 'tmpfs-0', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'tmpfs-1', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
      { name: 'tmpfs-2', emptyDir: { medium: 'Memory' } },
    ]);
    expect(container(m).volumeMounts).toEqual([
      { name: 'tmpfs-0', mountPath: '/tmp' },
      { name: 'tmpfs-1', mountPath: '/big' },
      { name: 'tmpfs-2', mountPath: '/nosize' },
    ]);
  });
  it('a bind mount -> a PVC named after profile and target, subPath the target name; never a hostPath', () => {
    const m = render('filesystem:\n  mounts:\n    - { source: /srv/docs, target: /workspace }\n    - { source: /srv/a.db, target: /data/a.db, readOnly: false }\n');
    expect(pod(m).spec!.volumes!.filter((v) => v.name.startsWith('mount'))).toEqual([
      { name: 'mount-0', persistentVolumeClaim: { claimName: 't-workspace', readOnly: true } },
      { name: 'mount-1', persistentVolumeClaim: { claimName: 't-data-a-db', readOnly: false } },
    ]);
    expect(container(m).volumeMounts!.filter((v) => v.name.startsWith('mount'))).toEqual([
      { name: 'mount-0', mountPath: '/workspace', readOnly: true, subPath: 'workspace' },
      { name: 'mount-1', mountPath: '/data/a.db', readOnly: false, subPath: 'a.db' },
    ]);
    expect(JSON.stringify(m)).not.toContain('hostPath');
  });
  it('a bind mount justified under MS301 -> hostPath, with a note', () => {
    const m = render('filesystem:\n  mounts:\n    - { source: /srv/docs, target: /workspace }\njustifications: { MS301: node-local data }\n');
    expect(pod(m).spec!.volumes!.at(-1)).toEqual({ name: 'mount-0', hostPath: { path: '/srv/docs' } });
    expect(comments(m)).toMatch(/hostPath \/srv\/docs on the node \(justified under MS301\)/);
  });
  it('a volume -> the PVC of that name; a name Kubernetes cannot take is refused', () => {
    const m = render('filesystem:\n  mounts:\n    - { type: volume, source: mcp-memory, target: /data, readOnly: false }\n');
    expect(pod(m).spec!.volumes!.at(-1)).toEqual({ name: 'mount-0', persistentVolumeClaim: { claimName: 'mcp-memory', readOnly: false } });
    expect(container(m).volumeMounts!.at(-1)).toEqual({ name: 'mount-0', mountPath: '/data', readOnly: false });
    expect(() => render('filesystem:\n  mounts:\n    - { type: volume, source: My_Vol, target: /data }\n')).toThrow(/volume "My_Vol" is not a valid PersistentVolumeClaim name/);
  });
});

describe('command, env and secrets', () => {
  it('entrypoint -> command (one executable), the rest -> args', () => {
    const c = container(render('entrypoint: [/bin/sh, -c]\ncommand: [echo, hi]\nworkdir: /app\n'));
    expect(c).toMatchObject({ command: ['/bin/sh'], args: ['-c', 'echo', 'hi'], workingDir: '/app', stdin: true, stdinOnce: true, tty: false });
  });
  it('pull policy', () => {
    expect(container(render('pull: never\n')).imagePullPolicy).toBe('Never');
    expect(container(render('pull: always\n')).imagePullPolicy).toBe('Always');
    expect(container(render('')).imagePullPolicy).toBe('IfNotPresent');
  });
  it('secrets -> secretKeyRef into the Secret named after the profile; never a value, even when the environment has one', () => {
    const m = render('env: { A: "1" }\nsecrets: [TOKEN]\n', {}, { TOKEN: 'ghp_supersecret' });
    expect(container(m).env).toEqual([
      { name: 'A', value: '1' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 't', key: 'TOKEN' } } },
    ]);
    expect(toK8sYaml(m)).not.toContain('ghp_supersecret');
    expect(comments(m)).toMatch(/kubectl create secret generic t --from-literal=TOKEN=\.\.\./);
  });
});

describe('labels', () => {
  it('ours plus the profile\'s, on the Pod and every policy', () => {
    const m = render('labels: { team: mcp, example.com/tier: low }\n');
    const expected = { 'app.kubernetes.io/managed-by': 'mcp-sandbox', 'app.kubernetes.io/name': 't', 'example.com/tier': 'low', 'mcp-sandbox.profile': 't', team: 'mcp' };
    expect(pod(m).metadata!.labels).toEqual(expected);
    for (const p of policies(m)) expect(p.metadata!.labels).toEqual(expected);
  });
  it('a label value Kubernetes cannot take is refused, not dropped', () => {
    expect(() => render('labels: { note: "two words" }\n')).toThrow(/not a valid Kubernetes label/);
  });
});

describe('network', () => {
  it('none -> one policy denying all ingress and egress of this Pod', () => {
    expect(policies(render(''))).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ name: 't-deny-all' }), spec: { podSelector: { matchLabels: { 'mcp-sandbox.profile': 't' } }, policyTypes: ['Ingress', 'Egress'] } }),
    ]);
  });
  it('bridge -> ingress denied, egress open, and a warning', () => {
    const m = render('network: bridge\n');
    expect(policies(m).map((p) => p.spec)).toEqual([{ podSelector: { matchLabels: { 'mcp-sandbox.profile': 't' } }, policyTypes: ['Ingress'] }]);
    expect(comments(m)).toMatch(/network bridge: egress is not restricted/);
  });
  it('host -> hostNetwork, no policy (it would not apply), and a warning', () => {
    const m = render('network: host\n');
    expect(pod(m).spec!.hostNetwork).toBe(true);
    expect(policies(m)).toEqual([]);
    expect(comments(m)).toMatch(/NetworkPolicy does not apply/);
  });
  it('a network mode the emitter does not know (an allowlist without its plan) fails closed: deny-all and a note', () => {
    const spec = compileSpec(loadProfile('/v.yaml', { env: {}, readFile: () => HEAD + 'network: bridge\n' }).profile);
    const m = toK8sManifests({ ...spec, network: 'allow' as never });
    expect(policies(m).map((p) => p.metadata!.name)).toEqual(['t-deny-all']);
    expect(pod(m).spec).not.toHaveProperty('hostNetwork');
    expect(comments(m)).toMatch(/network allow: not rendered for Kubernetes yet/);
  });
  const ALLOW = 'network:\n  allow: ["api.github.com:443", "*.example.org:443", "example.com:80", "db.example:5432/tcp", "10.1.2.3:6379/tcp"]\n';
  const allowlisted = (serviceIp?: string): K8sManifest[] => {
    const loaded = loadProfile('/virtual/p.yaml', { env: {}, home: '/home/user', readFile: () => HEAD + ALLOW });
    const spec = compileSpec(loaded.profile);
    const manifests = toK8sManifests(spec, { egress: k8sEgressOf(spec, serviceIp) });
    validateManifests(manifests);
    return manifests;
  };
  const proxyLabels = { 'mcp-sandbox.egress': 'proxy', 'app.kubernetes.io/part-of': 't' };
  it('an allowlist -> the sandbox resolves only through the proxy Service, and its policy admits only the proxy (resolver + one port per listener) and listed addresses', () => {
    const m = allowlisted('10.100.0.7');
    expect(pod(m).spec).toMatchObject({ dnsPolicy: 'None', dnsConfig: { nameservers: ['10.100.0.7'] } });
    const sandbox = policies(m).find((p) => p.metadata!.name === 't-egress-proxy-only')!;
    expect(sandbox.spec).toEqual({
      podSelector: { matchLabels: { 'mcp-sandbox.profile': 't' } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        {
          to: [{ podSelector: { matchLabels: proxyLabels } }],
          ports: [{ protocol: 'UDP', port: 5353 }, { protocol: 'TCP', port: 5353 }, { protocol: 'TCP', port: 10000 }, { protocol: 'TCP', port: 10001 }, { protocol: 'TCP', port: 10002 }],
        },
        { to: [{ ipBlock: { cidr: '10.1.2.3/32' } }], ports: [{ protocol: 'TCP', port: 6379 }] },
      ],
    });
  });
  it('an allowlist -> the proxy: configs in a ConfigMap, a Deployment under gVisor, a Service on the fixed address mapping each destination port to its listener, and its own policy', () => {
    const m = allowlisted();
    const kinds = m.map((x) => `${x.object.kind} ${x.object.metadata!.name}`);
    expect(kinds).toEqual(['Pod t', 'NetworkPolicy t-egress-proxy-only', 'ConfigMap t-egress', 'Deployment t-egress', 'Service t-egress', 'NetworkPolicy t-egress-proxy']);
    const config = m.find((x) => x.object.kind === 'ConfigMap')!.object as unknown as { data: Record<string, string> };
    expect(config.data['dnsmasq.conf']).toContain('host-record=api.github.com,10.96.0.53');
    expect(config.data['dnsmasq.conf']).toContain('address=/*.example.org/10.96.0.53');
    expect(config.data['dnsmasq.conf']).not.toContain('listen-address');
    expect(config.data['haproxy.cfg']).toContain('frontend listen_10000');
    const deployment = m.find((x) => x.object.kind === 'Deployment')!.object as IDeployment;
    const template = deployment.spec!.template;
    expect(template.metadata!.labels).not.toHaveProperty('mcp-sandbox.profile');
    expect(template.spec!.runtimeClassName).toBe('gvisor');
    expect(template.spec!.containers.map((c) => c.args)).toEqual([['/egress/entry.sh', 'dns'], ['/egress/entry.sh', 'proxy']]);
    expect(failedRules({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: template.spec! })).toEqual([]);
    const service = m.find((x) => x.object.kind === 'Service')!.object as IService;
    expect(service.spec).toEqual({
      clusterIP: '10.96.0.53',
      selector: proxyLabels,
      ports: [
        { name: 'dns-udp', protocol: 'UDP', port: 53, targetPort: 5353 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 5353 },
        { name: 'port-80', protocol: 'TCP', port: 80, targetPort: 10000 },
        { name: 'port-443', protocol: 'TCP', port: 443, targetPort: 10001 },
        { name: 'port-5432', protocol: 'TCP', port: 5432, targetPort: 10002 },
      ],
    });
    const proxy = policies(m).find((p) => p.metadata!.name === 't-egress-proxy')!;
    expect(proxy.spec!.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'mcp-sandbox.profile': 't' } } }], ports: [{ protocol: 'UDP', port: 5353 }, { protocol: 'TCP', port: 5353 }, { protocol: 'TCP', port: 10000 }, { protocol: 'TCP', port: 10001 }, { protocol: 'TCP', port: 10002 }] }]);
    const upstream = proxy.spec!.egress![1]!;
    expect(upstream.ports).toEqual([80, 443, 5432].map((port) => ({ protocol: 'TCP', port })));
    expect(upstream.to![0]!.ipBlock!.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8']));
    expect(comments(m)).toMatch(/--egress-ip <address>/);
  });
  it('two listeners on one destination port cannot share the Service address: refused with the fix', () => {
    const loaded = loadProfile('/virtual/p.yaml', { env: {}, home: '/home/user', readFile: () => HEAD + 'network:\n  allow: ["a.example:443", "db.example:443/tcp"]\n' });
    expect(() => k8sEgressOf(compileSpec(loaded.profile))).toThrow(/two entries of port 443/);
  });
});

describe('--serve', () => {
  const m = render('secrets: [TOKEN]\n', { serve: { image: 'mcp-sandbox/cli:test', profileYaml: 'version: 1\nname: t\n', port: 8080 } });

  it('ConfigMap, RBAC, Deployment, Service and the policies; the sandbox Pod becomes the template', () => {
    expect(m.map((x) => `${x.object.kind}/${x.object.metadata?.name}`)).toEqual([
      'ConfigMap/t-serve',
      'ServiceAccount/t-serve',
      'Role/t-serve',
      'RoleBinding/t-serve',
      'Deployment/t-serve',
      'Service/t-serve',
      'NetworkPolicy/t-deny-all',
    ]);
    const data = (m[0]!.object as unknown as { data: Record<string, string> }).data;
    expect(data['profile.yaml']).toBe('version: 1\nname: t\n');
    expect(data['sandbox-pod.yaml']).toContain('runtimeClassName: gvisor');
    expect(comments(m)).toMatch(/needs the Kubernetes sandbox backend of `mcp-sandbox serve`/);
  });
});

describe('YAML', () => {
  it('documents separated by ---, keys in emitter order, comments first, same output twice', () => {
    const m = render('network: bridge\nsecrets: [B]\n');
    const text = toK8sYaml(m);
    expect(text).toBe(toK8sYaml(render('network: bridge\nsecrets: [B]\n')));
    expect(text.split('\n---\n')).toHaveLength(2);
    expect(text.startsWith('# mcp-sandbox render t --format k8s\n')).toBe(true);
    const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => Object.keys(d))).toEqual([['apiVersion', 'kind', 'metadata', 'spec'], ['apiVersion', 'kind', 'metadata', 'spec']]);
    expect(docs[0]).toEqual(pod(m));
  });
  it('a profile name Kubernetes cannot take is refused', () => {
    expect(() => toK8sManifests({ ...compileSpec(loadProfile('/v.yaml', { env: {}, readFile: () => HEAD }).profile), name: 'bad-' })).toThrow(/not a valid Kubernetes object name/);
  });
});

/**
 * Golden argv and Engine API create body for every shipped profile, rendered with a fixed
 * environment so they are the same on every machine.
 *
 *   UPDATE_GOLDEN=1 npm run test:unit   rewrites test/golden/* from the current output.
 *
 * A missing golden is written (and reported) on a developer machine, but fails with CI=true:
 * CI never blesses its own output.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { toDockerArgv, toShellCommand } from '../../../src/compile/docker-argv.js';
import { renderSetEngine, renderSetShell } from '../../../src/egress/render-set.js';
import { toCreateBody } from '../../../src/compile/engine-body.js';
import { toK8sManifests, toK8sYaml } from '../../../src/compile/k8s.js';
import { serveOptionsOf } from '../../../src/compile/k8s-serve.js';
import { k8sEgressOf } from '../../../src/egress/k8s.js';
import { REPO, compileFile, shippedProfiles } from './shipped.js';

const GOLDEN_DIR = path.join(REPO, 'test/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Absolute paths into the checkout would differ between machines. */
function portable(value: unknown): string {
  return `${JSON.stringify(value, null, 2).split(REPO).join('<repo>')}\n`;
}

function checkGolden(file: string, actual: string): void {
  const golden = path.join(GOLDEN_DIR, file);
  if (UPDATE || (!existsSync(golden) && !IN_CI)) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(golden, actual);
    if (!UPDATE) process.stderr.write(`golden.test: wrote missing ${path.relative(REPO, golden)}; review and commit it\n`);
    return;
  }
  if (!existsSync(golden)) {
    throw new Error(`${path.relative(REPO, golden)} is missing (CI does not write goldens: run UPDATE_GOLDEN=1 locally and commit it)`);
  }
  // On a mismatch: review the diff, then UPDATE_GOLDEN=1 to accept it.
  expect(actual).toBe(readFileSync(golden, 'utf8'));
}

const profiles = shippedProfiles();

describe('golden renders of shipped profiles', () => {
  it('there are at least three shipped profiles', () => {
    expect(profiles.length).toBeGreaterThanOrEqual(3);
  });

  describe.each(profiles)('$name', ({ name, file }) => {
    const { loaded, spec } = compileFile(file);
    const argv = toDockerArgv(spec);

    it('argv matches its golden', () => {
      checkGolden(`${name}.argv.json`, portable(argv));
    });

    it('create body matches its golden', () => {
      checkGolden(`${name}.body.json`, portable(toCreateBody(spec)));
    });

    it('Kubernetes manifests match their golden', () => {
      const yaml = toK8sYaml(toK8sManifests(spec, { justifications: loaded.profile.justifications, egress: k8sEgressOf(spec) }));
      checkGolden(`${name}.k8s.yaml`, yaml.split(REPO).join('<repo>'));
    });

    it('Kubernetes manifests with --serve match their golden', () => {
      const yaml = toK8sYaml(toK8sManifests(spec, { justifications: loaded.profile.justifications, egress: k8sEgressOf(spec), serve: serveOptionsOf(loaded.raw) }));
      checkGolden(`${name}.k8s-serve.yaml`, yaml.split(REPO).join('<repo>'));
    });

    // An allowlisted profile renders as a whole set (render --format shell / engine).
    if (spec.network === 'allow') {
      it('egress set commands match their golden', () => {
        const lines = renderSetShell(spec);
        expect(lines[0]).toMatch(/^docker network create --internal /);
        expect(lines.filter((l) => l.startsWith('docker run --rm -i '))).toEqual([toShellCommand(argv)]);
        checkGolden(`${name}.set.sh`, `${lines.join('\n').split(REPO).join('<repo>')}\n`);
      });

      it('egress set bodies match their golden', () => {
        const set = renderSetEngine(spec);
        expect(set.server.HostConfig.NetworkMode).toBe(`container:${set.egress.names.dns}`);
        checkGolden(`${name}.set.json`, portable(set));
      });
    }

    it('argv carries every hardening flag', () => {
      const p = loaded.profile;
      expect(argv.slice(0, 2)).toEqual(['docker', 'run']);
      expect(argv).toContain(`--runtime=${p.runtime}`);
      // Only gVisor unless the profile says otherwise and justifies it for lint.
      if (p.runtime !== 'runsc') expect(p.justifications).toHaveProperty('MS101');
      if (p.network === 'none') expect(argv).toContain('--network=none');
      // An allowlisted server joins its egress set's namespace (docs/egress.md); it needs no justification.
      else if (p.network === 'allow') expect(argv).toContain(`--network=container:mcp-sandbox-egress-${p.name}-dns`);
      else expect(p.justifications).toHaveProperty(p.network === 'host' ? 'MS202' : 'MS201');
      for (const flag of ['--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges']) expect(argv).toContain(flag);
      for (const prefix of ['--memory=', '--memory-swap=', '--cpus=', '--pids-limit=']) {
        expect(argv.filter((a) => a.startsWith(prefix))).toHaveLength(1);
      }
      expect(argv).not.toContain('--privileged');
      expect(argv).not.toContain('--pids-limit=-1');
    });

    it('secrets appear by name only', () => {
      for (const secret of spec.secrets) {
        expect(argv).toContain(`--env=${secret}`);
        expect(argv.some((a) => a.startsWith(`--env=${secret}=`))).toBe(false);
      }
    });
  });
});

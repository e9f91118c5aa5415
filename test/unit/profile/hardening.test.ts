/**
 * Loading as an attacker would drive it (issue 9 §4, §5): the read stage refuses what is not a
 * small regular text file, no message quotes a file it could not use, duplicate keys are found
 * in linear time, every spelling of uid 0 is "0", and a base cannot justify a child's findings.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatError } from '../../../src/errors.js';
import { lintProfile } from '../../../src/lint/engine.js';
import { loadProfile } from '../../../src/profile/load.js';
import { MAX_INPUT_BYTES } from '../../../src/profile/read.js';

let dir: string;
const CANARY = 'canary-7f3e9d1c-secret-value';
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-hardening-'));
  process.env.MCP_SANDBOX_TEST_CANARY = CANARY;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MCP_SANDBOX_TEST_CANARY;
});

const write = (name: string, text: string | Buffer): string => {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
};
const HEAD = 'version: 1\nname: t\nimage: busybox:1\n';
/** The one line the CLI would print for loading `file`. */
const failure = (file: string, env: NodeJS.ProcessEnv = {}): string => {
  try {
    loadProfile(file, { env, home: dir });
  } catch (error) {
    return formatError(error);
  }
  throw new Error(`${file} loaded`);
};

describe('the read stage refuses what is not a small regular text file, at once', () => {
  test.each([
    ['/dev/zero', 'is not a regular file'],
    ['/dev/null', 'is not a regular file'],
    ['/proc/self/environ', 'is a special file whose size changes when read'],
    ['/proc/self/status', 'is a special file whose size changes when read'],
  ])('extends: %s', (target, reason) => {
    const line = failure(write('p.yaml', `${HEAD}extends: ${target}\n`));
    expect(line).toContain(`extends: base profile "${target}" ${reason}`);
    expect(line).not.toContain(CANARY);
  });

  test('a FIFO is refused without blocking, as a profile and as a base', () => {
    const fifo = path.join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(failure(fifo)).toBe(`profile ${fifo} is not a regular file`);
    expect(failure(write('p.yaml', `${HEAD}extends: fifo.yaml\n`))).toContain('base profile "fifo.yaml" is not a regular file');
  });

  test('a directory, a file over the limit, a binary file', () => {
    mkdirSync(path.join(dir, 'sub'));
    expect(failure(write('a.yaml', `${HEAD}extends: sub\n`))).toContain('base profile "sub" is a directory');
    const big = write('big.yaml', `${HEAD}description: "${'x'.repeat(MAX_INPUT_BYTES)}"\n`);
    expect(failure(big)).toBe(`profile ${big} is larger than the 1 MiB an input may be`);
    const binary = write('bin.yaml', Buffer.from([0x76, 0x3a, 0x20, 0x00, 0x01, 0xff]));
    expect(failure(binary)).toBe(`profile ${binary} is not a UTF-8 text file`);
    expect(failure(write('latin1.yaml', Buffer.from('name: caf\xe9\n', 'latin1')))).toContain('is not a UTF-8 text file');
  });
});

describe('no message quotes a file it could not use', () => {
  const secretish = [
    ['an OpenSSH key', `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${CANARY}\n-----END OPENSSH PRIVATE KEY-----\n`],
    ['/etc/shadow', `root:$6$${CANARY}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n`],
    ['a token file', `${CANARY}\n`],
    ['a netrc', `machine example.com login me password ${CANARY}\n`],
    ['a YAML alias error', `key: *${CANARY}${CANARY}\n`],
    ['a YAML tag error', `key: !${CANARY}${CANARY} x\n`],
    ['a flow error', `{ a: 1, ${CANARY} ${CANARY}: [ }\n`],
    ['a duplicate secret-looking key', `"${CANARY} with spaces": 1\n"${CANARY} with spaces": 2\n`],
  ];
  test.each(secretish)('%s, as the profile and as a base', (_what, text) => {
    const file = write('secret.txt', text);
    const own = failure(file);
    expect(own).not.toContain(CANARY);
    expect(own).toMatch(/^secret\.txt:\d+:\d+: |^\/.*secret\.txt:\d+:\d+: /);
    expect(failure(write('p.yaml', `${HEAD}extends: secret.txt\n`))).not.toContain(CANARY);
  });

  test('a seccomp: pointing at a docker config.json is refused and never reaches the spec', () => {
    write('.docker/config.json', JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from(`me:${CANARY}`).toString('base64') } } }));
    const line = failure(write('p.yaml', `${HEAD}security:\n  seccomp: .docker/config.json\n`));
    expect(line).toMatch(/p\.yaml:5:12: seccomp profile ".docker\/config.json" is not a seccomp profile \(expected a JSON object with "defaultAction"/);
    expect(line).not.toContain(Buffer.from(`me:${CANARY}`).toString('base64'));
    for (const [name, content] of [['arr.json', '[]'], ['action.json', '{"defaultAction": 1}'], ['syscalls.json', '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":{}}']]) {
      write(name as string, content as string);
      expect(failure(write('q.yaml', `${HEAD}security: { seccomp: ${name} }\n`))).toContain('is not a seccomp profile');
    }
    expect(failure(write('z.yaml', `${HEAD}security: { seccomp: /dev/zero }\n`))).toContain('seccomp profile "/dev/zero" is not a regular file');
    const ok = write('ok.json', '{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [] }');
    expect(loadProfile(write('r.yaml', `${HEAD}security: { seccomp: ${ok} }\n`)).profile.security.seccomp).toEqual({ kind: 'file', path: ok, content: '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}' });
  });

  test('a long or multi-line schema value is described, not quoted', () => {
    expect(failure(write('p.yaml', `${HEAD}pull: "${CANARY}${CANARY}${CANARY}"\n`))).not.toContain(CANARY);
    expect(failure(write('p.yaml', `${HEAD}pull: sometimes\n`))).toContain('got "sometimes"');
  });
});

describe('duplicate keys', () => {
  test('found in linear time: 40k keys with a duplicate at the end', () => {
    const fileOf = (n: number): string => {
      const keys = Array.from({ length: n }, (_, i) => `  k${i}: v\n`).join('');
      return write(`big-${n}.yaml`, `${HEAD}labels:\n${keys}  k17: again\n`);
    };
    const small = fileOf(10_000);
    const big = fileOf(40_000);
    expect(failure(big)).toBe(`${big}:40005:3: duplicate key "k17": each key may appear once in a map`);
    // Scaling, not a wall-clock bound (which failed on a loaded machine): four times the keys
    // cost about four times as long when linear, sixteen times when quadratic (the yaml
    // library's own uniqueKeys check; BENCHMARKS.md). The fastest of three runs of each size,
    // interleaved, takes most of the machine's load out of the ratio.
    const fastest = (file: string): number => {
      const started = process.hrtime.bigint();
      failure(file);
      return Number(process.hrtime.bigint() - started);
    };
    let smallBest = Infinity;
    let bigBest = Infinity;
    for (let round = 0; round < 3; round += 1) {
      smallBest = Math.min(smallBest, fastest(small));
      bigBest = Math.min(bigBest, fastest(big));
    }
    expect(bigBest / smallBest).toBeLessThan(9);
  });

  test('nested maps and quoted keys; the earliest repeat is reported', () => {
    expect(failure(write('p.yaml', `${HEAD}env:\n  A: 1\n  "A": 2\nlabels: { x: 1, x: 2 }\n`))).toMatch(/p\.yaml:6:3: duplicate key "A"/);
  });
});

describe('user: every spelling of uid 0 is "0"', () => {
  test.each([
    ['"00"', '0'],
    ['"0:0"', '0:0'],
    ['"000:1"', '0:1'],
    ['0', '0'],
    ['"0010:0020"', '10:20'],
    ['root', 'root'],
    ['"root:0000"', 'root:0'],
    ['"10001:10001"', '10001:10001'],
  ])('user: %s -> %s', (written, canonical) => {
    expect(loadProfile(write('p.yaml', `${HEAD}user: ${written}\n`)).profile.user).toBe(canonical);
  });

  test('a root user reaches lint as root, however it is written', () => {
    for (const written of ['"00"', '"000:0"', '0']) {
      const report = lintProfile(loadProfile(write('p.yaml', `${HEAD}user: ${written}\n`)));
      const plain = lintProfile(loadProfile(write('q.yaml', `${HEAD}user: "0"\n`)));
      expect(report.findings.map((f) => f.rule)).toEqual(plain.findings.map((f) => f.rule));
    }
  });

  test('"+0", "-0" and ids past 32 bits are refused at their position', () => {
    expect(failure(write('p.yaml', `${HEAD}user: "+0"\n`))).toMatch(/^.*p\.yaml:4:7: user "\+0" is not valid/);
    expect(failure(write('p.yaml', `${HEAD}user: "4294967296"\n`))).toMatch(/p\.yaml:4:7: user "4294967296": 4294967296 is not a valid uid/);
    expect(failure(write('p.yaml', `${HEAD}user: "1:99999999999999999999"\n`))).toMatch(/is not a valid gid/);
  });
});

describe('justifications apply to the profile that states them', () => {
  test("a base's justification does not reach the profile that extends it", () => {
    write('base/open.yaml', 'network: bridge\njustifications:\n  MS201: "the base says so"\n');
    const child = loadProfile(write('child.yaml', `${HEAD}extends: base/open.yaml\n`));
    expect(child.profile.network).toBe('bridge');
    expect(Object.keys(child.profile.justifications)).toEqual([]);
    const finding = lintProfile(child).findings.find((f) => f.rule === 'MS201');
    expect(finding).toBeDefined();
    expect(finding?.justification).toBeUndefined();
  });

  test("the child's own justification applies; a complete base linted alone keeps its own", () => {
    write('base/open.yaml', `${HEAD}network: bridge\njustifications:\n  MS201: "the base says so"\n`);
    const child = loadProfile(write('child.yaml', 'extends: base/open.yaml\njustifications:\n  MS201: "the child needs the network"\n'));
    expect(child.profile.justifications).toEqual({ MS201: 'the child needs the network' });
    expect(loadProfile(path.join(dir, 'base/open.yaml')).profile.justifications).toEqual({ MS201: 'the base says so' });
  });
});

/**
 * The real `mcp-sandbox doctor` on the real engine: with this host's runtime mapping every check
 * passes; without it the bridge profiles' silent loss of networking is reported, exit 4.
 */
import path from 'node:path';
import { containersWithLabel, describeEngine, runCli, tempDir, writeUserConfig } from './helpers/engine.js';

const doctorContainers = (): string[] => containersWithLabel('mcp-sandbox.doctor');

describeEngine('mcp-sandbox doctor', () => {
  test('with runsc mapped to runsc-net for networked profiles: all checks pass, exit 0', async () => {
    const dir = tempDir();
    const config = writeUserConfig(dir, 'runtimes: { runsc: { none: runsc, bridge: runsc-net, host: runsc-net } }\n');
    const started = Date.now();
    const result = await runCli(['doctor'], { env: { MCP_SANDBOX_CONFIG: config } });
    const elapsed = Date.now() - started;
    const lines = result.stdout.trim().split('\n');
    // The failing lines themselves, so a failure in CI says which check and why.
    const failed = lines.filter((line) => !/^[✓!] /.test(line));
    expect({ code: result.code, stderr: result.stderr, failed }).toEqual({ code: 0, stderr: '', failed: [] });
    expect(lines[0]).toMatch(/^✓ engine reachable at unix:\/\/.* API \d+\.\d+/);
    expect(result.stdout).toMatch(/^✓ runtimes registered: .*runsc \[--network=none\].*runsc-net \[--network=host\]/m);
    expect(result.stdout).toMatch(/^✓ start under runtime runsc, network none \(.*everything.*\): .* gVisor kernel, interfaces lo$/m);
    expect(result.stdout).toMatch(/^✓ start under runtime runsc-net, network bridge \(.*fetch.*\): .* gVisor kernel, interfaces .*eth0/m);
    expect(result.stdout).toMatch(/^✓ memory limit under runsc enforced/m);
    expect(result.stdout).toMatch(/^✓ pids limit under runsc enforced/m);
    // Parallel probes: well under the sum of six sequential runsc starts.
    expect(elapsed).toBeLessThan(30_000);
    expect(doctorContainers()).toEqual([]);
  }, 120_000);

  test('without the mapping: networking silently removed from bridge profiles is a failure with the fix, exit 4', async () => {
    const dir = tempDir();
    const result = await runCli(['doctor'], { env: { MCP_SANDBOX_CONFIG: path.join(dir, 'none.yaml') } });
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^✗ runtime runsc \(runtimeArgs --network=none\) silently removes networking: .*fetch.* ask for network bridge, but a container there sees only lo \(fix: .*bridge: runsc-net/m);
    expect(doctorContainers()).toEqual([]);
  }, 120_000);
});

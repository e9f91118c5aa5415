// Preloaded into the launcher for memory experiments:
//   BENCH_NODE_FLAGS="--require $PWD/scripts/lib/memory-peaks.cjs" BENCH_RUNTIMES=runc node scripts/bench.mjs
// Samples process.memoryUsage() every 3 ms and, at exit, appends one line per process to
// $TMPDIR/mcp-sandbox-memory-peaks.txt: the peaks (MB) and the sample taken at the RSS peak.
// (The bench starts the launcher with a minimal environment, hence a fixed file name.)
const { appendFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
let atPeak = process.memoryUsage();
setInterval(() => {
  const now = process.memoryUsage();
  for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], now[key]);
  if (now.rss >= peak.rss) atPeak = now;
}, 3).unref();
process.on('exit', () => {
  const mb = (sample) => Object.fromEntries(Object.keys(peak).map((key) => [key, Number((sample[key] / 1048576).toFixed(1))]));
  const gate = process.env.MCP_SANDBOX_GATE === 'off' ? 'off' : 'on';
  appendFileSync(path.join(tmpdir(), 'mcp-sandbox-memory-peaks.txt'), `${process.pid} gate ${gate} peak ${JSON.stringify(mb(peak))} at-rss-peak ${JSON.stringify(mb(atPeak))}\n`);
});

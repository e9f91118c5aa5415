// A test run's own temporary directory: every test that makes a temp dir (os.tmpdir() reads
// TMPDIR) makes it in there, and so do the launchers, reapers and keepers the engine tests
// start; the run removes it at the end, so `npm test` leaves nothing in /tmp.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

/** @param {string} prefix */
const setup = (prefix) => async () => {
  // Short: unix socket paths under it must fit sun_path.
  process.env.MCP_SANDBOX_TEST_TMP = mkdtempSync(path.join(tmpdir(), prefix));
  process.env.TMPDIR = process.env.MCP_SANDBOX_TEST_TMP;
};

const teardown = async () => {
  const dir = process.env.MCP_SANDBOX_TEST_TMP;
  if (dir) rmSync(dir, { recursive: true, force: true });
};

module.exports = { setup, teardown };

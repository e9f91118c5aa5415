/**
 * Unit tests never write into the user's state: launcher and gate code under test that writes
 * the audit log (with the process environment) writes into a temporary directory instead.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

process.env.MCP_SANDBOX_AUDIT_DIR ??= mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-unit-audit-'));
// Client entries start node on bin/mcp-sandbox.js, built native shim or not (src/clients/launcher.ts).
process.env.MCP_SANDBOX_LAUNCHER ??= 'node';

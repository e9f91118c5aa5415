/**
 * The seam between serve's HTTP side (./server.ts) and the sandboxes behind it: one sandbox per
 * MCP session, carrying JSON-RPC messages both ways. ./launch-sandbox.ts implements it with
 * `run`'s launcher; unit tests use a fake.
 */
import type { JsonRpcMessage } from '../gate/jsonrpc.js';
import type { Principal } from './auth/types.js';

export interface SandboxOpenInput {
  /** The MCP session id (Mcp-Session-Id). */
  session: string;
  /** Who the session speaks for, with serve.auth. */
  principal?: Principal;
  /** Each message the server (through the gate) sends. */
  onMessage(message: JsonRpcMessage): void;
}

export interface SandboxEnd {
  /** The launcher's exit code, as `run` would have exited. */
  exitCode?: number;
  /** Why it could not start or carry on (a SandboxError's message). */
  error?: Error;
}

export interface Sandbox {
  /** Hands a client message to the server (queued until it runs). */
  send(message: JsonRpcMessage): void;
  /** Asks the sandbox to end (stdin closed, then stop and remove); resolves once it is gone. */
  close(): Promise<SandboxEnd>;
  /** Settles once the sandbox is gone, whoever ended it. Never rejects. */
  readonly ended: Promise<SandboxEnd>;
}

export interface SandboxFactory {
  /** Starts a sandbox for a new session; it starts in the background, messages queue meanwhile. */
  open(input: SandboxOpenInput): Sandbox;
}

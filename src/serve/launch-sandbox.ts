/**
 * The SandboxFactory serve runs on: each session is `run`'s launcher (src/run/launch.ts) with
 * in-memory stdio instead of the process's, so a serve sandbox gets exactly what a `run` one
 * gets: the enforced lint verdict, the gate with its policy and audit log, egress for an
 * allowlisted profile, a warm pool claim, AutoRemove and the watchdog that removes it should
 * serve be SIGKILLed. Ending a session is the client closing stdin plus the shutdown signal
 * `run` gets from a client: the same stop sequence.
 */
import { PassThrough, Writable } from 'node:stream';
import { LineFramer, type Line } from '../gate/framing.js';
import type { JsonRpcMessage } from '../gate/jsonrpc.js';
import { launch, type PreparedLaunch } from '../run/launch.js';
import type { SessionIo, ShutdownSignal } from '../run/session.js';
import type { Sandbox, SandboxEnd, SandboxFactory, SandboxOpenInput } from './sandbox.js';

export interface LaunchSandboxOptions {
  /** The profile argument, as given (launch() names it in its messages). */
  profileArg: string;
  prepared: PreparedLaunch;
  env: NodeJS.ProcessEnv;
  /** Where the sandbox's stderr and the launcher's warnings go (serve's stderr with --verbose). */
  stderr: Writable;
  /** Launcher diagnostics too (MCP_SANDBOX_SERVE_DEBUG=1): one line per step, per session. */
  debug: boolean;
}

export function launchSandboxFactory(options: LaunchSandboxOptions): SandboxFactory {
  return { open: (input) => openLaunched(options, input) };
}

function openLaunched(options: LaunchSandboxOptions, input: SandboxOpenInput): Sandbox {
  const stdin = new PassThrough();
  const stdout = messageSink(input.onMessage, options.prepared.spec.gate.limits.maxMessageBytes);
  let shutdown: ((signal: ShutdownSignal) => void) | undefined;
  let closing = false;
  const io: SessionIo = {
    stdin,
    stdout,
    stderr: options.stderr,
    onSignal(handler) {
      shutdown = handler;
      if (closing) handler('SIGTERM');
      return () => {
        shutdown = undefined;
      };
    },
  };
  const principal = input.principal ? { subject: input.principal.subject, ...(input.principal.clientId === undefined ? {} : { clientId: input.principal.clientId }) } : undefined;
  const ended: Promise<SandboxEnd> = launch(options.profileArg, { io, env: options.env, prepared: options.prepared, verbose: options.debug, ...(principal ? { principal } : {}) }).then(
    (exitCode) => ({ exitCode }),
    (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
  );
  return {
    send(message: JsonRpcMessage): void {
      if (!closing) stdin.write(`${JSON.stringify(message)}\n`);
    },
    close(): Promise<SandboxEnd> {
      if (!closing) {
        closing = true;
        stdin.end();
        shutdown?.('SIGTERM');
      }
      return ended;
    },
    ended,
  };
}

/** The server's stdout (the gate's framed output) as parsed messages. */
function messageSink(onMessage: (message: JsonRpcMessage) => void, maxBytes: number): Writable {
  const deliver = (line: Line): void => {
    const text = Buffer.concat(line.parts as Buffer[], line.length).toString('utf8').trim();
    if (text === '') return;
    try {
      const message = JSON.parse(text) as unknown;
      if (message !== null && typeof message === 'object' && !Array.isArray(message)) onMessage(message as JsonRpcMessage);
    } catch {
      // Not JSON-RPC: with the gate on, nothing but messages gets here; with it off a server's stray line is dropped as a client would.
    }
  };
  const framer = new LineFramer(maxBytes, { line: deliver, oversize: () => undefined });
  return new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      framer.push(chunk);
      callback();
    },
    final(callback): void {
      framer.end();
      callback();
    },
  });
}

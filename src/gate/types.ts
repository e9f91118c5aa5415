/**
 * The gate's shapes: its configuration (from the profile, see config.ts), what the launcher
 * hands it (context), and the stage it returns. The stage type is structural so that gate/
 * does not import run/: it matches the session's `MessageStage`.
 */
import type { Duplex } from 'node:stream';
import type { AuditSink, PinningCheck } from './ports.js';
import type { JsonRpcId } from './jsonrpc.js';

export type { AuditArgumentsMode, DriftMode, GateConfig, NamePolicy, RootsMode, SecretScanMode } from '../profile/types.js';

export interface GateMount {
  /** Path inside the container. */
  target: string;
  readOnly: boolean;
}

export interface GateContext {
  /** Declared secret values by name (the values the launcher resolved); masked wherever they appear. */
  secrets: Readonly<Record<string, string>>;
  mounts: readonly GateMount[];
  audit: AuditSink;
  pinning: PinningCheck;
  /** Milliseconds; Date.now by default (tests pass a fake). */
  clock?: () => number;
  /** Launcher diagnostics (stderr, --verbose). */
  log?: (message: string) => void;
  /**
   * Told the bytes the gate reads back from a spill file (spill.ts) as it forwards them: the
   * launcher collects that garbage as it does the bytes that come in (src/run/reclaim.ts).
   */
  reclaim?: (bytes: number) => void;
  /** The client's `initialize` (for the session-start audit record): name, version, protocol. */
  onInitialize?: (client: { name?: string; version?: string; protocolVersion?: string }) => void;
  /** A tools/call forwarded to the server (`start`) and its end, however it ended: the egress audit names the calls in flight. */
  onToolCall?: (call: { id: JsonRpcId; tool: string | undefined; phase: 'start' | 'end'; at: number }) => void;
}

/** Same shape as the session's MessageStage (src/run/stage.ts). */
export interface GateStage {
  /** Written with the client's bytes; what it emits goes to the server's stdin. Its end() means client EOF. */
  toServer: Duplex;
  /** Written with the server's stdout bytes; what it emits goes to the client's stdout. */
  toClient: Duplex;
  /** Called once when the session has ended (flush logs); never throws. */
  close(): Promise<void>;
}

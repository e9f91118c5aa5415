/**
 * The gate's shapes: its configuration (from the profile, see config.ts), what the launcher
 * hands it (context), and the stage it returns. The stage type is structural so that gate/
 * does not import run/: it matches the session's `MessageStage`.
 */
import type { Duplex } from 'node:stream';
import type { AuditSink, PinningCheck } from './ports.js';

export type SecretScanMode = 'mask' | 'block' | 'off';
export type RootsMode = 'mounts' | 'client' | 'none';
export type DriftMode = 'block' | 'warn' | 'off';
export type AuditArgumentsMode = 'none' | 'keys' | 'redacted' | 'full';

/** allow/deny globs: deny wins; `allow` undefined means everything not denied. */
export interface NamePolicy {
  allow?: readonly string[];
  deny: readonly string[];
}

export interface GateConfig {
  tools: NamePolicy & { constrain: Readonly<Record<string, unknown>>; onDrift: DriftMode };
  resources: NamePolicy;
  prompts: NamePolicy;
  /** 0 means no limit for the two counters. */
  limits: { callsPerMinute: number; maxConcurrent: number; maxMessageBytes: number };
  secretScan: SecretScanMode;
  roots: RootsMode;
  auditArguments: AuditArgumentsMode;
}

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
  /** The client's `initialize` (for the session-start audit record): name, version, protocol. */
  onInitialize?: (client: { name?: string; version?: string; protocolVersion?: string }) => void;
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

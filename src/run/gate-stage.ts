/**
 * The MCP gate (src/gate/) as the session's message stage, with its audit log and tool pinning.
 * The gate's protocol core loads on the first message, its validator and token rules when a
 * message first needs them; the audit file opens on the first record; so building the stage
 * adds nothing before the server starts.
 */
import { ToolCallTimeline } from './tool-calls.js';
import type { SandboxSpec } from '../compile/spec.js';
import type { EngineClient } from '../engine/client.js';
import { openAuditLog, type AuditLog, type AuditPrincipal } from '../gate/audit/log.js';
import { createGate } from '../gate/gate.js';
import { reclaimer } from './reclaim.js';
import { createPinningCheck } from '../gate/lock.js';
import { readLockFor } from '../gate/lock-read.js';
import type { MessageStage } from './stage.js';

/** What the launcher knows when it builds the stage. */
export interface GateStageInput {
  spec: SandboxSpec;
  /** The profile file: its lock file (`<name>.lock.json`) sits next to it. */
  profileFile: string;
  secretValues: Readonly<Record<string, string>>;
  env: NodeJS.ProcessEnv;
  engine: EngineClient;
  /** `serve` with OAuth: who the session speaks for, on every audit record. */
  principal?: AuditPrincipal;
  debug(message: string): void;
}

/** The stage plus the hooks the launcher calls around the session. */
export interface GateSession {
  stage: MessageStage;
  audit: AuditLog;
  /** The tools/call calls of the session, for the egress records. */
  calls: ToolCallTimeline;
  /** Called once the container runs. */
  started(containerId: string): void;
  /** Records the end, closes the gate and flushes the log. */
  end(result: { exitCode: number; reason: string }): Promise<void>;
}

/**
 * Builds the gate for one session. A lock file that exists but cannot be read fails here,
 * before the server starts: running with the pin silently dropped would defeat it.
 */
export function openGateSession(input: GateStageInput): GateSession {
  const { spec } = input;
  const pinning = createPinningCheck(readLockFor(input.profileFile));
  const audit = openAuditLog({ profile: spec.name, env: input.env, ...(spec.gate.auditWebhook ? { webhook: spec.gate.auditWebhook } : {}), ...(input.principal ? { principal: input.principal } : {}) });
  let container: string | undefined;
  let announced = false;
  const announce = (client: { name?: string; version?: string; protocolVersion?: string }): void => {
    if (announced) return;
    announced = true;
    // The digest is looked up once the client speaks, not while the server starts.
    void input.engine.inspectImage(spec.image).then(
      (image) => record({ imageDigest: image?.Id }),
      () => record({}),
    );
    const record = (extra: { imageDigest?: string | undefined }): void =>
      audit.record({ type: 'session-start', profile: spec.name, container, image: spec.image, ...extra, launcherPid: process.pid, client });
  };
  const calls = new ToolCallTimeline();
  const gate = createGate(spec.gate, {
    secrets: input.secretValues,
    mounts: spec.mounts.map((m) => ({ target: m.target, readOnly: m.readOnly })),
    audit,
    pinning,
    log: input.debug,
    // Scavenges only: what is read back from a spill file is pushed and written out at once, so it dies young.
    reclaim: reclaimer(1024 * 1024, 0),
    onInitialize: announce,
    onToolCall: (call) => calls.note(call),
  });
  return {
    stage: gate,
    audit,
    calls,
    started: (id) => {
      container = id;
    },
    end: async (result) => {
      await gate.close();
      audit.record({ type: 'session-end', profile: spec.name, container, exitCode: result.exitCode, reason: result.reason });
      await audit.close();
    },
  };
}

/**
 * A short-lived probe container for `doctor`: create → attach → wait(next-exit) → start →
 * collect output → inspect → remove, through the same `EngineClient` the launcher uses, so a
 * passing probe means the launcher's own path works on this engine.
 */
import { LABELS } from '../labels.js';
import { randomBytes } from 'node:crypto';
import { toCreateBody, type CreateBody } from '../compile/engine-body.js';
import { compileSpec } from '../compile/spec.js';
import { loadStages, memoryChain } from '../profile/stages.js';
import { Demuxer } from '../engine/demux.js';
import type { EngineClient } from '../engine/client.js';
import { settleWithin } from '../run/escalate.js';
import { VERSION } from '../version.js';

const DOCTOR_LABEL = LABELS.doctor;

export interface ProbeSpec {
  image: string;
  runtime: string;
  network: 'none' | 'bridge' | 'host';
  /** Run with `sh -c`. */
  script: string;
  /** Bytes; 0 = none. */
  memory?: number;
  /** -1 = none. */
  pidsLimit?: number;
  timeoutMs?: number;
}

export interface ProbeResult {
  /** Set when create or start failed: the engine's message. */
  startError?: string;
  exitCode?: number;
  oomKilled?: boolean;
  /** HostConfig.Memory as the engine recorded it (bytes). */
  memoryLimit?: number;
  output: string;
  timedOut: boolean;
  /** ms from create to exit. */
  elapsed: number;
}

/**
 * The hardened create body for a probe: a minimal in-memory profile through the launcher's own
 * pipeline (normalize → compile → body), so the hardening defaults come from one place. Only what
 * a probe needs differs: its limits, no init or /tmp, `sh -c`, output-only attach, kept after exit.
 */
export function probeBody(spec: ProbeSpec): CreateBody {
  const data = {
    version: 1,
    name: 'doctor-probe',
    image: spec.image,
    command: [spec.script],
    runtime: spec.runtime,
    network: spec.network,
    resources: { memory: spec.memory ?? 0, cpus: 0, pids: spec.pidsLimit ?? -1 },
    filesystem: { tmpfs: [] },
    security: { init: false },
  };
  const locate = (): { file: string; line: number; column: number } => ({ file: 'doctor probe', line: 1, column: 1 });
  const { profile } = loadStages('doctor probe', memoryChain(data, locate, '/'), { env: {}, home: '/' });
  const body = toCreateBody(compileSpec(profile));
  return {
    ...body,
    Entrypoint: ['sh', '-c'],
    Labels: { [DOCTOR_LABEL]: VERSION },
    AttachStdin: false,
    OpenStdin: false,
    StdinOnce: false,
    HostConfig: { ...body.HostConfig, AutoRemove: false },
  };
}

/** Runs a probe to completion and always removes its container. Never throws. */
export async function runProbe(engine: EngineClient, spec: ProbeSpec): Promise<ProbeResult> {
  const started = Date.now();
  const chunks: Buffer[] = [];
  const elapsed = (): number => Date.now() - started;
  let id: string | undefined;
  let cancelWait: (() => void) | undefined;
  let socket: import('node:stream').Duplex | undefined;
  try {
    try {
      id = (await engine.createContainer(probeBody(spec), `mcp-sandbox-doctor-${process.pid}-${randomBytes(3).toString('hex')}`)).id;
      socket = await engine.attach(id);
      const collect = (chunk: Buffer, done: () => void): void => {
        chunks.push(Buffer.from(chunk));
        done();
      };
      const ended = new Promise<void>((resolve) => {
        socket!.on('end', resolve).on('close', resolve).on('error', () => resolve());
      });
      socket.pipe(new Demuxer(collect, collect));
      const wait = await engine.wait(id, 'next-exit');
      cancelWait = wait.cancel;
      await engine.start(id);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), spec.timeoutMs ?? 30_000);
      });
      const outcome = await Promise.race([wait.result, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        await engine.kill(id).catch(() => undefined);
        return { output: Buffer.concat(chunks).toString('utf8'), timedOut: true, elapsed: elapsed() };
      }
      // The last output frames may trail the wait answer by a moment.
      await settleWithin(ended, 500);
      const inspect = await engine.inspectContainer(id).catch(() => undefined);
      return {
        exitCode: outcome.StatusCode,
        oomKilled: inspect?.State.OOMKilled ?? false,
        ...(typeof inspect?.HostConfig.Memory === 'number' ? { memoryLimit: inspect.HostConfig.Memory } : {}),
        output: Buffer.concat(chunks).toString('utf8'),
        timedOut: false,
        elapsed: elapsed(),
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { startError: message.split('\n')[0] ?? message, output: Buffer.concat(chunks).toString('utf8'), timedOut: false, elapsed: elapsed() };
    }
  } finally {
    cancelWait?.();
    socket?.destroy();
    if (id) await engine.remove(id, { force: true }).catch(() => undefined);
  }
}

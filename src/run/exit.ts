/**
 * What a server's exit means: pure functions of what the engine reported, so every case
 * (OOM recorded, OOM not recorded under gVisor, stopped by us, ended by a signal) is unit-tested
 * without an engine.
 */
import { formatSize } from '../profile/units.js';

export type ShutdownSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export type EndReason = 'exited' | 'stdin-eof' | 'signal' | 'output-closed';

const SIGNAL_NUMBERS: Record<ShutdownSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** How long to look for the engine's OOM record after an exit; undefined = do not look. */
export function oomLookup(statusCode: number, stoppedByUs: boolean): { lingerMs: number } | undefined {
  // Only a "killed" code can be an OOM: the common clean exit costs no extra round trip.
  if (statusCode < 128 && statusCode >= 0) return undefined;
  // The OOM record can trail the exit a little: for a SIGKILL we did not send, look a moment longer.
  return { lingerMs: statusCode === 137 && !stoppedByUs ? 500 : 0 };
}

export interface ExitFacts {
  statusCode: number;
  /** The engine recorded an OOM kill; undefined when it was not asked or could not answer. */
  oomKilled: boolean | undefined;
  stoppedByUs: boolean;
  /** Bytes, from the create body. */
  memoryLimit?: number;
}

export interface ExitDiagnosis {
  oomKilled: boolean;
  /** The line for the user, if the exit needs one. */
  warning?: string;
}

/** OOM detection, including the hedge for gVisor, where the engine does not always record the OOM kill. */
export function diagnoseExit(facts: ExitFacts): ExitDiagnosis {
  const limit = facts.memoryLimit;
  if (facts.oomKilled === true) {
    return {
      oomKilled: true,
      warning: `the server was killed: it hit its memory limit of ${limit ? formatSize(limit) : 'unknown size'} (raise resources.memory in the profile)`,
    };
  }
  if (facts.oomKilled === false && facts.statusCode === 137 && !facts.stoppedByUs) {
    return {
      oomKilled: false,
      warning: limit
        ? `the server was killed (SIGKILL, exit 137), most likely by its memory limit of ${formatSize(limit)} (raise resources.memory in the profile)`
        : 'the server was killed (SIGKILL, exit 137) by something other than the launcher',
    };
  }
  return { oomKilled: false };
}

/** The launcher's exit code for a session that ended this way. */
export function exitCode(facts: { statusCode: number; oomKilled: boolean; reason: EndReason | undefined; signal: ShutdownSignal | undefined; stoppedByUs: boolean }): number {
  if (facts.oomKilled) return 137;
  if (facts.reason === 'signal') return exitCodeForSignal(facts.signal);
  // The client ended the session; stopping a lingering server is the normal end.
  if (facts.stoppedByUs) return 0;
  return facts.statusCode;
}

/** 128 + the signal's number, as a shell reports a process ended by it; 0 for none. */
export function exitCodeForSignal(signal: ShutdownSignal | undefined): number {
  return signal ? 128 + SIGNAL_NUMBERS[signal] : 0;
}

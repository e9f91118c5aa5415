/**
 * Shutdown as one straight line, in the manner of the MCP SDK's StdioClientTransport.close():
 * end the server's stdin, give it the grace period, stop it (the engine sends TERM, then KILL
 * after `stopTimeout`), and if even that does not end it, kill it.
 */

export interface EscalationSteps {
  /** Half-closes the server's stdin (it sees EOF; its remaining output still flows back). */
  closeStdin(): void;
  stop(timeoutSeconds: number): Promise<void>;
  kill(): Promise<void>;
  /** Settles when the server has exited. */
  exited: Promise<unknown>;
  /** Called the moment the launcher itself starts stopping the server. */
  onStopping(): void;
  debug(message: string): void;
  warn(message: string): void;
}

/** Runs the escalation until the server exits; resolves when it has run all its steps or the server is gone. */
export async function escalate(steps: EscalationSteps, timing: { grace: number; stopTimeout: number }): Promise<void> {
  steps.closeStdin();
  if (await settlesWithin(steps.exited, timing.grace * 1000)) return;
  steps.onStopping();
  steps.debug(`server still running after ${timing.grace} s: stopping it`);
  steps.stop(timing.stopTimeout).catch((error: unknown) => steps.debug(`stop failed: ${(error as Error).message}`));
  if (await settlesWithin(steps.exited, (timing.stopTimeout + 3) * 1000)) return;
  steps.warn('the server did not stop: killing it');
  await steps.kill().catch((error: unknown) => steps.debug(`kill failed: ${(error as Error).message}`));
}

/** True when `promise` settles within `ms`; no timer outlives the call. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `promise` at most `ms`, without keeping a timer alive afterwards. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  await settlesWithin(promise, ms);
}

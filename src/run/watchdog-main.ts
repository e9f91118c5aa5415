/**
 * Bundle entry of the watchdog process (dist/watchdog.js; see ./watchdog.ts). Reads its order
 * from stdin; when stdin ends without `done` (the launcher died), stops and removes the
 * container, looks once more (a create that was in flight lands after the first remove), exits.
 */
import { HttpEngineClient } from '../engine/http-client.js';
import { decodeOrder, type WatchdogOrder } from './watchdog.js';

/** Stops and removes the container the order names; never throws. */
export async function enforce(order: WatchdogOrder, engine = new HttpEngineClient(order.endpoint), recheckMs = 1000): Promise<void> {
  try {
    await engine.stop(order.container, order.stopTimeout).catch(() => undefined);
    await engine.remove(order.container, { force: true }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, recheckMs));
    await engine.remove(order.container, { force: true }).catch(() => undefined);
  } finally {
    engine.close();
  }
}

/** Reads stdin to its end and acts on what it said. */
export function main(): void {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => (text += chunk));
  const onEnd = (): void => {
    const lines = text.split('\n').filter(Boolean);
    if (lines.length === 0 || lines[lines.length - 1] === 'done') return;
    void enforce(decodeOrder(lines[0] as string));
  };
  process.stdin.on('end', onEnd);
  process.stdin.on('error', onEnd);
  // A signal meant for the launcher's group must not take its watchdog along.
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGPIPE'] as const) process.on(signal, () => undefined);
}

main();

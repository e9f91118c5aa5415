/**
 * The built CLI's `serve` as a test starts it: spawned with the given arguments, resolved once
 * its stderr says where it serves (or rejected with that stderr when it exits or takes 30 s).
 */
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from './engine.js';

export interface Served {
  child: ChildProcess;
  url: URL;
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
}

export async function startServeCli(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawnCli(['serve', ...args], env);
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /serving \S+ at (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(new URL(match[1] as string));
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}:\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr, stdout: () => stdout, exited };
}

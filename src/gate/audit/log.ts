/**
 * The audit log writer behind the gate's AuditSink. Nothing happens before the first record:
 * the directory is created and the first file opened on the first flush, off the message path.
 * `record()` only stamps and queues; a setImmediate flush takes the day's lock, reads the chain's
 * tail, appends the batch with one O_APPEND write and releases the lock. Under steady traffic
 * the flushes are at least BATCH_EVERY_MS apart, so one lock cycle carries many records instead
 * of one per message (its file operations competed with the session for the CPU: BENCHMARKS.md,
 * gate section); flush() and close() never wait for that interval. Failures are reported
 * once on stderr (never stdout) and counted; the session never sees them.
 *
 * Concurrent launchers of one profile share the day file: the lock file (./file-lock.ts) makes
 * "read tail + append" atomic between them, so the chain stays one valid sequence (see
 * docs/audit.md for why this and not per-session files).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AuditSink } from '../ports.js';
import { composeLine, genesisHash, lineHead, sha256Hex } from './chain.js';
import { auditDir, dayStem, headFile, lockFile, segmentFile } from './paths.js';
import { AuditPathError, ensureAuditDir, openForAppend } from './secure.js';
import { removeFile, withFileLock } from './file-lock.js';
import { readTail } from './tail.js';
import { Webhook } from './webhook.js';

/** Default segment size before the chain continues in the next segment. */
export const DEFAULT_MAX_SEGMENT_BYTES = 10 * 1024 * 1024;
/** Records queued beyond this (a stuck disk) are dropped and counted, so memory stays bounded. */
const MAX_QUEUE = 10_000;
const RESERVED = new Set(['seq', 'prev', 'ts', 'session', 'subject', 'clientId']);
/** Record types POSTed to the webhook: the gate's security events. */
const SECURITY_TYPES = new Set<unknown>(['security', 'event']);
/** How often the day's head file is rewritten while records flow (and always at close). */
const HEAD_EVERY_MS = 1000;
/**
 * The least time between two flushes while records keep coming (the first after a pause goes at
 * once). One flush is about ten file-system calls through libuv's thread pool, each a wake-up
 * and a callback on the launcher's thread: at 20 ms apart under a steady echo they cost the
 * launcher more CPU than carrying the messages (BENCHMARKS.md, gate section).
 */
const BATCH_EVERY_MS = 100;

export interface AuditLogOptions {
  /** The profile's `name`: the file stem. */
  profile: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** The session id stamped on every record (default: 12 random hex digits). */
  session?: string;
  maxSegmentBytes?: number;
  /** `audit.webhook`: security events (records of type `security`) are POSTed there too. */
  webhook?: string;
  webhookTimeoutMs?: number;
  /** Where a problem is reported, once (default: one line on stderr). */
  onProblem?: (message: string) => void;
  /** Who the session speaks for (`serve` with OAuth): stamped as `subject` and `clientId` on every record. */
  principal?: AuditPrincipal;
}

export interface AuditPrincipal {
  subject: string;
  clientId?: string;
}

export interface AuditStats {
  written: number;
  dropped: number;
  webhookSent: number;
  webhookFailed: number;
}

export interface AuditLog extends AuditSink {
  readonly session: string;
  readonly dir: string;
  /** Resolves when everything recorded so far is written (or dropped). */
  flush(): Promise<void>;
  stats(): AuditStats;
}

interface Queued {
  /** When it was recorded (formatted at the flush, off the message path). */
  at: Date;
  entry: Record<string, unknown>;
}

interface ChainHead {
  file: string;
  size: number;
  seq: number;
  hash: string;
}

/** Opens the audit log of a profile lazily: nothing touches the disk before the first record. */
export function openAuditLog(options: AuditLogOptions): AuditLog {
  return new ChainedLog(options);
}

class ChainedLog implements AuditLog {
  readonly session: string;
  readonly dir: string;
  /** The chain fields after `session` (the principal's), stamped on every record. */
  private readonly stamp: Readonly<Record<string, string>>;
  private readonly now: () => Date;
  private readonly maxBytes: number;
  private readonly webhook?: Webhook;
  private queue: Queued[] = [];
  private draining?: Promise<void>;
  private ready?: Promise<void>;
  private disabled = false;
  private closed = false;
  private reported = false;
  private counts = { written: 0, dropped: 0 };
  private readonly heads = new Map<string, ChainHead>();
  private readonly segments = new Map<string, number>();
  /** Heads not yet written, and when one last was: the head is rewritten at most every HEAD_EVERY_MS and at close. */
  private readonly pendingHeads = new Map<string, { seq: number; hash: string }>();
  private headWrittenAt = 0;
  /** When the last flush ended, and how to cut the wait of the next one short (flush, close). */
  private drainedAt = 0;
  private wake: (() => void) | undefined;
  /** `,"session":…` and the principal's fields, as every record's JSON has them after `ts`. */
  private bodyHead: string | undefined;
  private stemDay = '';
  private stem = '';

  constructor(private readonly options: AuditLogOptions) {
    this.session = options.session ?? randomBytes(6).toString('hex');
    const principal = options.principal;
    this.stamp = principal ? { subject: principal.subject, ...(principal.clientId === undefined ? {} : { clientId: principal.clientId }) } : {};
    this.dir = auditDir(options.env ?? process.env);
    this.now = options.now ?? ((): Date => new Date());
    this.maxBytes = options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    if (options.webhook) this.webhook = new Webhook(options.webhook, options.webhookTimeoutMs ?? 2000);
  }

  record(entry: Record<string, unknown>): void {
    if (this.closed || this.disabled || this.queue.length >= MAX_QUEUE) {
      this.counts.dropped += 1;
      return;
    }
    try {
      this.queue.push({ at: this.now(), entry });
      if (!this.draining) this.draining = this.drainSoon().catch((error: unknown) => this.problem(error));
    } catch (error) {
      this.counts.dropped += 1;
      this.problem(error);
    }
  }

  async flush(): Promise<void> {
    // A drain that ends with records queued starts the next one: wait for that one too.
    while (this.draining) {
      this.wake?.();
      await this.draining;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.writeHeads();
    await this.webhook?.settle();
  }

  stats(): AuditStats {
    return { ...this.counts, webhookSent: this.webhook?.stats.sent ?? 0, webhookFailed: this.webhook?.stats.failed ?? 0 };
  }

  private async drainSoon(): Promise<void> {
    const wait = this.drainedAt + BATCH_EVERY_MS - Date.now();
    await new Promise<void>((resolve) => {
      if (wait <= 0 || this.closed) return void setImmediate(resolve);
      const timer = setTimeout(resolve, wait);
      this.wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    try {
      if (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.writeBatch(batch);
      }
      if (this.pendingHeads.size > 0 && Date.now() - this.headWrittenAt >= HEAD_EVERY_MS) await this.writeHeads();
    } finally {
      this.drainedAt = Date.now();
      this.draining = undefined;
      // Records that came in during the write go in the next batch, BATCH_EVERY_MS after this one
      // (writing them at once kept a flush running back to back under steady traffic).
      if (this.queue.length > 0) this.draining = this.drainSoon().catch((error: unknown) => this.problem(error));
    }
  }

  private async writeBatch(batch: Queued[]): Promise<void> {
    const byStem = new Map<string, string[]>();
    for (const { at, entry } of batch) {
      let ts: string;
      try {
        ts = at.toISOString();
      } catch (error) {
        // A broken clock: the record is dropped and counted, the others still go.
        this.counts.dropped += 1;
        this.problem(error);
        continue;
      }
      const body = this.serialise(ts, entry);
      if (body === undefined) continue;
      // The stem changes once a day: made again only then.
      if (ts.slice(0, 10) !== this.stemDay) [this.stemDay, this.stem] = [ts.slice(0, 10), dayStem(this.options.profile, at)];
      const stem = this.stem;
      const bodies = byStem.get(stem);
      if (bodies) bodies.push(body);
      else byStem.set(stem, [body]);
    }
    for (const [stem, bodies] of byStem) {
      try {
        if (this.disabled) throw new Error('disabled');
        this.ready ??= ensureAuditDir(this.dir);
        await this.ready;
        await withFileLock(path.join(this.dir, lockFile(stem)), () => this.append(stem, bodies));
        this.counts.written += bodies.length;
      } catch (error) {
        this.counts.dropped += bodies.length;
        if (error instanceof AuditPathError) this.disabled = true;
        // The directory vanished (removed by hand): create it again for the next batch.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.ready = undefined;
        this.problem(error);
      }
    }
  }

  /**
   * The record's JSON without chain fields; undefined (counted) when it cannot be serialised.
   * The text is JSON.stringify({ ts, session, ...stamp, ...rest}) byte for byte, made without
   * copying the record: the fixed head once per session, the record's own JSON after it.
   */
  private serialise(ts: string, entry: Record<string, unknown>): string | undefined {
    let own: string;
    try {
      own = JSON.stringify(hasReserved(entry) ? withoutReserved(entry) : entry);
    } catch (error) {
      this.counts.dropped += 1;
      this.problem(new Error(`a record could not be serialised (${(error as Error).message})`));
      return undefined;
    }
    this.bodyHead ??= JSON.stringify({ ts: '', session: this.session, ...this.stamp }).slice(8, -1);
    const body = `{"ts":${JSON.stringify(ts)}${this.bodyHead}${own === '{}' ? '}' : `,${own.slice(1)}`}`;
    if (this.webhook && SECURITY_TYPES.has(entry.type)) this.webhook.post(`{"profile":${JSON.stringify(this.options.profile)},${body.slice(1)}`);
    return body;
  }

  /** Runs under the day's lock: find the chain's head, write the lines in one append. */
  private async append(stem: string, bodies: string[]): Promise<void> {
    const head = await this.chainHead(stem);
    let seq = head.seq;
    let prev = head.hash;
    const lines: string[] = [];
    for (const body of bodies) {
      seq += 1;
      const line = composeLine(seq, prev, body);
      prev = sha256Hex(line);
      lines.push(line);
    }
    const text = `${head.size > 0 && !head.complete ? '\n' : ''}${lines.join('\n')}\n`;
    const handle = await openForAppend(head.file);
    try {
      await handle.write(text);
    } finally {
      await handle.close();
    }
    this.heads.set(stem, { file: head.file, size: head.size + Buffer.byteLength(text), seq, hash: prev });
    this.pendingHeads.set(stem, { seq, hash: prev });
  }

  /**
   * Replaces each day's head file atomically (temp file, rename). Outside the lock: a head that
   * another writer's older head overwrites is only behind the chain, which verify accepts.
   */
  private async writeHeads(): Promise<void> {
    this.headWrittenAt = Date.now();
    const heads = [...this.pendingHeads];
    this.pendingHeads.clear();
    for (const [stem, { seq, hash }] of heads) {
      const target = path.join(this.dir, headFile(stem));
      const temp = `${target}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
      try {
        await fs.writeFile(temp, `${JSON.stringify({ seq, hash })}\n`, { mode: 0o600, flag: 'wx' });
        await fs.rename(temp, target);
      } catch (error) {
        await removeFile(temp).catch(() => undefined);
        this.problem(error);
      }
    }
  }

  /** The segment to append to and the last line's seq and hash; a full segment moves on to the next. */
  private async chainHead(stem: string): Promise<ChainHead & { complete: boolean }> {
    let index = this.segments.get(stem) ?? 0;
    let file = path.join(this.dir, segmentFile(stem, index));
    let size = await sizeOf(file);
    // Writers move on only from a full segment: while ours is not, nobody started the next one.
    while (size >= this.maxBytes && (await exists(path.join(this.dir, segmentFile(stem, index + 1))))) {
      index += 1;
      file = path.join(this.dir, segmentFile(stem, index));
      size = await sizeOf(file);
    }
    if (size >= this.maxBytes) {
      const last = await this.headOf(file, size);
      index += 1;
      this.segments.set(stem, index);
      return { file: path.join(this.dir, segmentFile(stem, index)), size: 0, seq: last.seq, hash: last.hash, complete: true };
    }
    this.segments.set(stem, index);
    if (size > 0) return { ...(await this.headOf(file, size)), file, size };
    if (index === 0) return { file, size: 0, seq: 0, hash: genesisHash(stem), complete: true };
    const previous = path.join(this.dir, segmentFile(stem, index - 1));
    const last = await this.headOf(previous, await sizeOf(previous));
    return { file, size: 0, seq: last.seq, hash: last.hash, complete: true };
  }

  /** seq and hash of a segment's last line; from memory when nobody else appended since our write. */
  private async headOf(file: string, size: number): Promise<{ seq: number; hash: string; complete: boolean }> {
    for (const head of this.heads.values()) if (head.file === file && head.size === size) return { seq: head.seq, hash: head.hash, complete: true };
    const tail = await readTail(file);
    const seq = lineHead(tail.line)?.seq ?? 0;
    return { seq, hash: tail.hash, complete: tail.complete };
  }

  private problem(error: unknown): void {
    if (this.reported) return;
    this.reported = true;
    const message = `audit log: ${(error as Error).message}; records are counted as dropped`;
    if (this.options.onProblem) this.options.onProblem(message);
    else process.stderr.write(`mcp-sandbox: ${message}\n`);
  }
}

function hasReserved(entry: Record<string, unknown>): boolean {
  for (const key in entry) if (RESERVED.has(key)) return true;
  return false;
}

function withoutReserved(entry: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) if (!RESERVED.has(key)) rest[key] = value;
  return rest;
}

function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.lstat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * The frames between the native shim (./warm-shim.c) and the warm-start broker (./warm-broker.ts):
 * one type byte, a 4-byte big-endian payload length, the payload. Written by hand because it is
 * ten lines on each side and the C side cannot share a library; a length-prefixed frame keeps
 * the shim a plain relay (no escaping, no parsing of the bytes it carries).
 */

/** Frame types (ASCII letters, so a trace reads). */
export const FRAME = {
  /** shim → broker: magic, cwd, argc, args, environment (NUL-terminated strings). */
  header: 0x48, // H
  /** shim → broker: bytes from the client (its stdin). */
  input: 0x49, // I
  /** shim → broker: the client closed its stdin. */
  inputEnd: 0x45, // E
  /** shim → broker: the shim got a signal (1 byte, its number). */
  signal: 0x53, // S
  /** shim → broker: the shim's stdout is closed (the client stopped reading). */
  outputClosed: 0x50, // P
  /** broker → shim: the session is the broker's (a pool member was claimed). */
  warm: 0x57, // W
  /** broker → shim: not handled here; the shim execs the node launcher. */
  cold: 0x43, // C
  /** broker → shim: bytes for the client (the shim's stdout). */
  stdout: 0x4f, // O
  /** broker → shim: diagnostics (the shim's stderr). */
  stderr: 0x52, // R
  /** broker → shim: the launcher's exit code (1 byte); the last frame. */
  exit: 0x58, // X
} as const;

export const HEADER_MAGIC = 'mcp-sandbox-shim 1';
/** The shim refuses to send more (./warm-shim.c MAX_HEADER); a frame above this is not ours. */
export const MAX_HEADER_BYTES = 4 * 1024 * 1024;
/** The largest frame the broker accepts: the shim sends at most 64 KiB of input per frame. */
export const MAX_FRAME_BYTES = MAX_HEADER_BYTES;

export interface Frame {
  type: number;
  payload: Buffer;
}

/** One frame's bytes. */
export function encodeFrame(type: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const frame = Buffer.allocUnsafe(5 + payload.length);
  frame[0] = type;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, 5);
  return frame;
}

/** Splits a byte stream into frames; a frame above `max` bytes makes push() throw. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly max: number = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= 5) {
      const length = this.buffered.readUInt32BE(offset + 1);
      if (length > this.max) throw new Error(`frame of ${length} bytes (at most ${this.max})`);
      if (this.buffered.length - offset - 5 < length) break;
      frames.push({ type: this.buffered[offset] as number, payload: this.buffered.subarray(offset + 5, offset + 5 + length) });
      offset += 5 + length;
    }
    this.buffered = offset === 0 ? this.buffered : this.buffered.subarray(offset);
    return frames;
  }
}

/** What the shim says about itself: its arguments (after the program), cwd and environment. */
export interface ShimHeader {
  args: string[];
  cwd: string;
  /** Null-prototype: keys come from the client's environment. */
  env: NodeJS.ProcessEnv;
}

/** The header's payload (what ./warm-shim.c `handshake` builds); tests and benchmarks use it. */
export function encodeHeader(header: ShimHeader): Buffer {
  const env = Object.entries(header.env).flatMap(([key, value]) => (value === undefined ? [] : [`${key}=${value}`]));
  return Buffer.from([HEADER_MAGIC, header.cwd, String(header.args.length), ...header.args, ...env].map((s) => `${s}\0`).join(''), 'utf8');
}

/** The header, or undefined for anything malformed (wrong magic, counts that do not add up). */
export function decodeHeader(payload: Buffer): ShimHeader | undefined {
  if (payload.length === 0 || payload[payload.length - 1] !== 0) return undefined;
  const parts = payload.subarray(0, payload.length - 1).toString('utf8').split('\0');
  const [magic, cwd, count] = parts;
  if (magic !== HEADER_MAGIC || !cwd?.startsWith('/') || count === undefined || !/^\d{1,6}$/.test(count)) return undefined;
  const argc = Number(count);
  if (parts.length < 3 + argc) return undefined;
  const env: NodeJS.ProcessEnv = Object.create(null) as NodeJS.ProcessEnv;
  for (const entry of parts.slice(3 + argc)) {
    const eq = entry.indexOf('=');
    // Like node's own process.env: the first of duplicate names wins, entries without `=` are skipped.
    if (eq > 0 && !(entry.slice(0, eq) in env)) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { args: parts.slice(3, 3 + argc), cwd, env };
}

/** The signals the shim forwards, by number (Linux numbering, as the shim sends them). */
export const SIGNAL_NAMES: ReadonlyMap<number, 'SIGHUP' | 'SIGINT' | 'SIGTERM'> = new Map([
  [1, 'SIGHUP'],
  [2, 'SIGINT'],
  [15, 'SIGTERM'],
]);

/**
 * Typed errors and the one table that maps them to process exit codes.
 *
 * Every failure the user can cause or fix is a `SandboxError` with a code; the CLI prints
 * `formatError()` as one line on stderr and exits with `exitCodeFor()`. Stack traces only
 * appear with `--debug`, because a trace is noise to someone fixing a profile.
 */
import path from 'node:path';

/** Where in a user's file an error points. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * Exit codes, documented in the README. 1 and 2 follow linters (findings vs usage);
 * launcher failures use 120+ so they are distinguishable from a server's own small exit codes
 * and from the 125-127 the docker CLI uses and 128+N for signals.
 */
export const EXIT_CODES = {
  /** The profile (or config file) is invalid, or lint found errors. */
  PROFILE_INVALID: 1,
  LINT_FINDINGS: 1,
  /** The user's own launcher settings (~/.config/mcp-sandbox/config.yaml) are invalid. */
  USER_CONFIG_INVALID: 1,
  /** Bad command-line usage or an unreadable input. */
  USAGE: 2,
  PROFILE_NOT_FOUND: 2,
  INPUT_UNREADABLE: 2,
  /** A client config that could not be changed safely (malformed, foreign entry, drift). */
  CONFIG_CONFLICT: 3,
  /** `doctor` found at least one failing check (each printed with its fix). */
  DOCTOR_FAILED: 4,
  /** `audit verify` found a broken hash chain (the first broken line is named). */
  AUDIT_CHAIN_BROKEN: 5,
  /** `lock` could not list the server's tools (the server failed or answered with an error). */
  LOCK_FAILED: 6,
  /** A feature this build does not have yet (serve.auth before OAuth is wired in). */
  /** Launcher failures before the server ran. */
  ENGINE_UNREACHABLE: 120,
  RUNTIME_MISSING: 121,
  IMAGE_MISSING: 122,
  MOUNT_SOURCE_MISSING: 123,
  SECRET_MISSING: 124,
  ENGINE_ERROR: 119,
  /** Something we did not anticipate: a bug, reported with --debug. */
  INTERNAL: 70,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export interface SandboxErrorOptions {
  location?: SourceLocation;
  /** What to do about it, appended after the message. */
  hint?: string;
  cause?: unknown;
}

/** An error the user can act on. `message` says what is wrong and what was expected. */
export class SandboxError extends Error {
  readonly code: ErrorCode;
  readonly location?: SourceLocation;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: SandboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SandboxError';
    this.code = code;
    this.location = options.location;
    this.hint = options.hint;
  }
}

/**
 * A failure that has been reported to the user already (line by line, as findings, as drift):
 * the CLI prints nothing more and exits with `exitCode`. The one way to end a command
 * non-zero after printing; src/cli/main.ts maps it.
 */
export class ReportedFailure extends Error {
  readonly exitCode: number;

  constructor(exitCode: number, summary = 'already reported') {
    super(summary);
    this.name = 'ReportedFailure';
    this.exitCode = exitCode;
  }
}

/**
 * Why a file could not be read, worded to follow its name: "does not exist", "is a directory", …
 * The one wording for every unreadable input (profiles, bases, seccomp files, client configs,
 * secrets files); the codes that are not errno codes come from src/profile/read.ts.
 */
export function unreadableReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'does not exist',
    EISDIR: 'is a directory',
    EACCES: 'cannot be read (permission denied)',
    ENOTREG: 'is not a regular file',
    EFBIG: 'is larger than the 1 MiB an input may be',
    ESPECIAL: 'is a special file whose size changes when read (e.g. under /proc)',
    ENOTTEXT: 'is not a UTF-8 text file',
  };
  return (code !== undefined && Object.hasOwn(reasons, code) ? reasons[code] : undefined) ?? `cannot be read (${code ?? 'unknown error'})`;
}

/** A file as shown to the user: relative to the working directory when it lies below it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** `file:line:col: ` for a location, or '' when there is none. */
function formatLocation(location: SourceLocation | undefined): string {
  return location ? `${displayPath(location.file)}:${location.line}:${location.column}: ` : '';
}

/** The one line printed for an error: `file:line:col: message (hint)`. */
export function formatError(error: unknown): string {
  if (error instanceof SandboxError) {
    const hint = error.hint ? ` (${error.hint})` : '';
    return `${formatLocation(error.location)}${error.message}${hint}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `internal error: ${message.split('\n')[0]} (rerun with --debug for details)`;
}

/** The process exit code for an error. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ReportedFailure) return error.exitCode;
  return error instanceof SandboxError ? EXIT_CODES[error.code] : EXIT_CODES.INTERNAL;
}

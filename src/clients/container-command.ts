/**
 * Which container engine a client entry starts, and whether it is a plain `run` that lint can
 * judge as a profile. Anything else that reaches an engine (another host or context, `exec`,
 * compose, a wrapper such as sudo or a shell) is reported rather than passed as clean.
 */
import path from 'node:path';

/** Engine CLIs whose `run` takes docker's flags. */
const ENGINES = new Set(['docker', 'podman', 'nerdctl']);
/** Engine front-ends that define containers elsewhere (compose files). */
const COMPOSE = new Set(['docker-compose', 'podman-compose', 'nerdctl-compose']);
/** Commands that run their arguments as another command. */
const WRAPPERS = new Set(['sudo', 'doas', 'env', 'nice', 'nohup', 'timeout', 'stdbuf', 'command', 'exec', 'time', 'ionice', 'chrt', 'setsid', 'xargs', 'npx', 'bunx']);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'cmd', 'powershell', 'pwsh']);
/** Global flags that change nothing about which engine is used. */
const HARMLESS_GLOBALS = new Set(['-D', '--debug', '-l', '--log-level']);
/** Global flags that take a value (docker and podman). */
const GLOBALS_WITH_VALUE = new Set(['-H', '--host', '-c', '--context', '--config', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey', '--url', '--connection', '--root', '--runroot', '--identity', '--storage-driver', '--namespace', '-n', '--address', '-a']);

/** Something about the entry that keeps lint from judging it as a plain `docker run`. */
export interface Unjudged {
  /** Index into args, or -1 for the command itself. */
  index: number;
  message: string;
}

export interface ContainerInvocation {
  /** The engine CLI as named (basename, lower case, without .exe). */
  engine: string;
  /** The token that names the engine (the command, or an argument after a wrapper). */
  binary: string;
  /** Where that token is: an index into args, or -1 for the command itself. */
  binaryIndex: number;
  /** Index in args where `run`'s own flags begin, for a `run` (or `container run`). */
  runStart?: number;
  unjudged: Unjudged[];
}

/** A command's basename, lower case, without a Windows extension. */
export function commandBase(command: string): string {
  return path.win32.basename(command).toLowerCase().replace(/\.(exe|cmd|bat|ps1)$/, '');
}

/** Reads global flags and the subcommand after the engine token at `at` (an index in tokens). */
function subcommand(tokens: readonly string[], at: number): { index: number; globals: Unjudged[] } {
  const globals: Unjudged[] = [];
  let i = at + 1;
  while (i < tokens.length && (tokens[i] as string).startsWith('-')) {
    const token = tokens[i] as string;
    const flag = token.split('=')[0] as string;
    const takesValue = GLOBALS_WITH_VALUE.has(flag) && !token.includes('=');
    if (!HARMLESS_GLOBALS.has(flag)) {
      globals.push({ index: i - 1, message: `global flag ${takesValue ? `${token} ${tokens[i + 1] ?? ''}`.trim() : token} before the subcommand can point the CLI at another engine or configuration` });
    }
    i += takesValue ? 2 : 1;
  }
  return { index: i, globals };
}

function shellInvocation(tokens: readonly string[]): ContainerInvocation | undefined {
  const engineWord = tokens.slice(1).join(' ').match(/(?:^|[\s/;&|(])(docker|podman|nerdctl)(?:\.exe)?\b/i);
  if (!engineWord) return undefined;
  const engine = (engineWord[1] as string).toLowerCase();
  return { engine, binary: engine, binaryIndex: -1, unjudged: [{ index: -1, message: `starts ${engine} through the shell ${commandBase(tokens[0] as string)}: lint cannot see what the script runs` }] };
}

/** How the entry reaches a container engine, or undefined when it does not. */
export function containerInvocation(command: string | undefined, args: readonly string[]): ContainerInvocation | undefined {
  if (command === undefined) return undefined;
  const tokens = [command, ...args];
  if (SHELLS.has(commandBase(command))) return shellInvocation(tokens);
  let at = 0;
  while (at < tokens.length && WRAPPERS.has(commandBase(tokens[at] as string))) {
    at++;
    // A wrapper's own flags and VAR=value assignments come before the command it runs.
    while (at < tokens.length && /^-|^[A-Za-z_][A-Za-z0-9_]*=/.test(tokens[at] as string)) at++;
  }
  const binary = tokens[at];
  if (binary === undefined) return undefined;
  const engine = commandBase(binary);
  if (!ENGINES.has(engine) && !COMPOSE.has(engine)) return undefined;
  const unjudged: Unjudged[] = at > 0 ? [{ index: -1, message: `starts ${engine} through ${tokens.slice(0, at).map(commandBase).filter((t) => WRAPPERS.has(t)).join(' ')}` }] : [];
  if (COMPOSE.has(engine)) return { engine, binary, binaryIndex: at - 1, unjudged: [...unjudged, { index: at - 1, message: `${engine} starts the containers a compose file defines, which lint does not read` }] };
  const { index, globals } = subcommand(tokens, at);
  unjudged.push(...globals);
  const sub = tokens[index];
  if (sub === 'run') return { engine, binary, binaryIndex: at - 1, runStart: index, unjudged };
  if (sub === 'container' && tokens[index + 1] === 'run') return { engine, binary, binaryIndex: at - 1, runStart: index + 1, unjudged };
  const what = sub === undefined ? 'no subcommand' : sub === 'compose' ? `"${engine} compose", which starts the containers a compose file defines` : `"${engine} ${sub}"${sub === 'exec' ? ', which runs a command in an existing container no profile describes' : ''}`;
  unjudged.push({ index: Math.min(index, tokens.length - 1) - 1, message: `runs ${what}, not ${engine} run: lint cannot judge its sandbox` });
  return { engine, binary, binaryIndex: at - 1, unjudged };
}

/** True for an entry lint can parse as `docker run …` (also podman/nerdctl, `container run`, behind a wrapper). */
export function isDockerRun(command: string | undefined, args: readonly string[]): boolean {
  return containerInvocation(command, args)?.runStart !== undefined;
}

/**
 * The gate's protocol logic, loaded on the first message (gate.ts). Every line from either
 * side comes here whole; what no policy touches goes on as the very bytes that came in.
 *
 * Client -> server: policy (tools, resources, prompts), tool listing on demand, argument
 * validation, limits; refusals are answered to the client and never reach the server.
 * Server -> client: list results filtered, roots/list answered, secrets masked or blocked.
 */
import { randomBytes } from 'node:crypto';
import { GATE_ERRORS, errorLine, idKey, isId, isObject, messageLine, resultLine, type GateErrorCode, type JsonRpcId, type JsonRpcMessage } from './jsonrpc.js';
import { bytesOf, forwardable, headOf, lastByteOf, lineOf, sniffId, sniffIsRequest, tailOf, textOf, type Line } from './framing.js';
import { CallLimits } from './limits.js';
import { NameMatcher } from './policy.js';
import { Prescan } from './prescan.js';
import { redact } from './redact.js';
import { rootsOfMounts } from './roots.js';
import { SecretScanner } from './secrets.js';
import type { SpillFile } from './spill.js';
import { NeedsWholeMessage, readSkeleton } from './skeleton.js';
import { loadTokenFinder } from './tokens.js';
import { ToolState, type Verdict } from './tools.js';
import type { GateConfig, GateContext } from './types.js';

/** Where the gate's output goes: one buffer, or a line forwarded as the pieces it came in (or from its file). */
export interface GateOutput {
  toServer(bytes: Buffer | readonly Buffer[] | SpillFile): void;
  toClient(bytes: Buffer | readonly Buffer[] | SpillFile): void;
}

export interface Pending {
  id: JsonRpcId;
  method: string;
  tool?: string;
  /**
   * The call's arguments as the audit record will carry them (audit.arguments), taken when the
   * request passes: the parsed request (a long argument) is not kept while the server works.
   */
  arguments?: unknown;
  /** Until the request is out: makes `arguments` (book), or for an answer that came first. */
  argumentsOf?: () => unknown;
  cursor: boolean;
  started: number;
  bytesIn: number;
  admitted: boolean;
}

/** What becomes of one message: forwarded as it came, replaced, dropped, or answered by the gate. */
type Outcome = { kind: 'forward' } | { kind: 'replace'; message: unknown } | { kind: 'drop' } | { kind: 'answer'; line: Buffer };

/** A client message's outcome, and what to book once it is out (./core.ts, client -> server). */
interface Decided {
  outcome: Outcome;
  book?: () => void;
}

const FORWARD: Outcome = { kind: 'forward' };
const DROP: Outcome = { kind: 'drop' };
/**
 * From this size a clean server response is booked from its ends instead of parsed (passLarge),
 * and a client's tools/call is read as a skeleton (longClientMessage).
 */
const LARGE_LINE = 256 * 1024;
/**
 * In a skeleton, strings of this many bytes or more are counted, not made. Under a spill
 * file's read size (spill.ts): a short string then spans at most two of its reused pieces.
 */
const LONG_STRING_BYTES = 16 * 1024;
/** How long a tools/list the gate sends on its own may take. */
const GATE_LIST_TIMEOUT_MS = 30_000;

export class GateCore {
  private readonly now: () => number;
  private readonly pending = new PendingCalls();
  private readonly own = new Map<string, { resolve: (message: JsonRpcMessage | undefined) => void; timer: NodeJS.Timeout }>();
  private readonly ownPrefix = `mcp-sandbox-gate-${randomBytes(6).toString('hex')}-`;
  private ownCounter = 0;
  private listing: Promise<void> | undefined;
  private readonly tools: ToolState;
  private readonly matchers: { tools: NameMatcher; resources: NameMatcher; prompts: NameMatcher };
  private readonly limits: CallLimits;
  private readonly scanner: SecretScanner;
  private readonly reported = new Set<string>();
  /** Records and bookkeeping of the message being decided, done once it is out (hold, release). */
  private held: Array<Record<string, unknown> | (() => void)> | undefined;
  /** The token rules, loading or loaded: started by the first text that holds a keyword of theirs. */
  private scannerReady: Promise<void> | undefined;

  constructor(private readonly config: GateConfig, private readonly context: GateContext, private readonly out: GateOutput) {
    this.now = context.clock ?? Date.now;
    this.tools = new ToolState(config.tools, context.pinning);
    this.matchers = {
      tools: new NameMatcher('tools', config.tools),
      resources: new NameMatcher('resources', config.resources),
      prompts: new NameMatcher('prompts', config.prompts),
    };
    this.limits = new CallLimits(config.limits.callsPerMinute, config.limits.maxConcurrent, this.now);
    this.scanner = new SecretScanner(context.secrets);
    for (const { name, reason } of this.scanner.skipped) context.log?.(`secret ${name} is not scanned for: ${reason}`);
    this.scanner.expectTokens(config.secretScan !== 'off');
  }

  /**
   * Loads the token rules once. Not at start: most sessions never send a text that holds a
   * keyword of any rule (tokens.ts), and then never carry the preset's code in memory.
   */
  private tokenRules(): Promise<void> {
    this.scannerReady ??= loadTokenFinder().then(
      (finder) => this.scanner.setTokenFinder(finder),
      (error: unknown) => {
        this.scanner.expectTokens(false);
        this.context.log?.(`token patterns unavailable (${(error as Error).message}): only declared secrets are scanned`);
      },
    );
    return this.scannerReady;
  }

  // --- client -> server -----------------------------------------------------------------
  //
  // A message is decided, forwarded, and only then booked (its pending entry, the audit
  // record's summary of its arguments, the tool-call timeline): the bookkeeping runs after the
  // bytes are on their way, in the same tick. Everything is synchronous unless a decision has to
  // wait (the gate's own tools/list, ajv, a long message's skeleton): a promise only then.

  fromClient(received: Line): void | Promise<void> {
    if (received.length >= LARGE_LINE) return this.fromLongClient(received);
    return this.fromClientLine(received);
  }

  private async fromLongClient(received: Line): Promise<void> {
    const decided = await this.longClientMessage(received);
    if (decided) return this.clientOutcome(decided, received);
    return this.fromClientLine(received);
  }

  private fromClientLine(received: Line): void | Promise<void> {
    // Every client message is parsed, so its text is made anyway: from one joined buffer (outside
    // the JS heap, freed once it is out) rather than from a JS string per piece, which would grow
    // the heap that V8 is slow to give back (BENCHMARKS.md, gate section).
    const line = received.parts.length > 1 ? lineOf(bytesOf(received)) : received;
    const message = parseText(textOf(line));
    if (message === undefined) return this.out.toServer(line.parts);
    if (Array.isArray(message)) return this.clientBatch(line, message);
    if (!isObject(message)) return this.out.toServer(line.parts);
    this.hold();
    let decided: Decided | Promise<Decided>;
    try {
      decided = this.clientMessage(message as JsonRpcMessage, line.length, false);
    } catch (error) {
      this.release();
      throw error;
    }
    if (decided instanceof Promise) {
      // What was recorded before the wait is not held across it (the other direction goes on meanwhile).
      this.release();
      return decided.then((later) => this.clientOutcome(later, line));
    }
    this.clientOutcome(decided, line);
  }

  private clientOutcome({ outcome, book }: Decided, line: Line): void {
    if (outcome.kind === 'forward') this.out.toServer(forwardable(line));
    else if (outcome.kind === 'replace') this.out.toServer(messageLine(outcome.message));
    else if (outcome.kind === 'answer') this.out.toClient(outcome.line);
    this.release();
    if (book) this.afterForward(book);
  }

  /** Bookkeeping after the message is out: a failure here must not answer for a message already sent. */
  private afterForward(book: () => void): void {
    try {
      book();
    } catch (error) {
      this.context.log?.(`audit bookkeeping failed: ${(error as Error).message}`);
    }
  }

  /**
   * A long tools/call decided from its skeleton (./skeleton.ts: its long strings are never made)
   * and forwarded as the pieces it came in. Undefined: read it the ordinary way (not a single
   * tools/call, or a decision that needs a long string whole; nothing was booked then).
   */
  private async longClientMessage(line: Line): Promise<Decided | undefined> {
    const skeleton = readSkeleton(line.spill ? line.spill.reusedPieces() : line.parts, LONG_STRING_BYTES);
    // Only what the ordinary reading would decide the same way: a tools/call whose id and name are plain values.
    if (!isObject(skeleton) || skeleton.method !== 'tools/call' || !isId(skeleton.id) || !isObject(skeleton.params) || typeof skeleton.params.name !== 'string') return undefined;
    try {
      return await this.clientMessage(skeleton as JsonRpcMessage, line.length, true);
    } catch (error) {
      if (error instanceof NeedsWholeMessage) return undefined;
      throw error;
    }
  }

  private async clientBatch(line: Line, batch: unknown[]): Promise<void> {
    const forward: unknown[] = [];
    const answers: unknown[] = [];
    const books: Array<() => void> = [];
    let changed = false;
    for (const element of batch) {
      const { outcome, book } = isObject(element) ? await this.clientMessage(element as JsonRpcMessage, Math.round(line.length / batch.length), false) : { outcome: FORWARD, book: undefined };
      if (book) books.push(book);
      if (outcome.kind === 'forward') forward.push(element);
      else {
        changed = true;
        if (outcome.kind === 'replace') forward.push(outcome.message);
        else if (outcome.kind === 'answer') answers.push(JSON.parse(outcome.line.toString('utf8')));
      }
    }
    if (!changed) this.out.toServer(line.parts);
    else {
      if (forward.length > 0) this.out.toServer(messageLine(forward));
      if (answers.length > 0) this.out.toClient(messageLine(answers));
    }
    for (const book of books) this.afterForward(book);
  }

  /**
   * The outcome of one client message, and what to book once it is forwarded or answered.
   * `skeleton`: read from a long message's skeleton, whose audit summary must be made before the
   * call is admitted (it may ask for the whole message, NeedsWholeMessage, and nothing may be
   * counted yet).
   */
  private clientMessage(message: JsonRpcMessage, bytes: number, skeleton: boolean): Decided | Promise<Decided> {
    const { method } = message;
    if (typeof method !== 'string') return { outcome: FORWARD }; // a response to a server request
    if (!isId(message.id)) {
      // A call without a valid id is no request, but a lenient server might still act on it.
      if (!POLICED.has(method)) return { outcome: this.clientNotification(message) };
      this.security({ event: 'malformed', from: 'client', method, reason: 'a policed method without a request id' });
      return { outcome: DROP };
    }
    const tool = method === 'tools/call' && isObject(message.params) && typeof message.params.name === 'string' ? message.params.name : undefined;
    const args = skeleton ? this.auditArguments(message, tool) : undefined;
    let outcome: Outcome | Promise<Outcome> = FORWARD;
    if (method === 'initialize') outcome = this.initialize(message);
    else if (method === 'tools/call') outcome = this.toolCall(message, tool);
    else if (method === 'resources/read' || method === 'resources/subscribe' || method === 'resources/unsubscribe') {
      const uri = isObject(message.params) && typeof message.params.uri === 'string' ? message.params.uri : '';
      outcome = this.byPolicy(message.id, 'resources', uri, `resource ${uri}`);
    } else if (method === 'prompts/get') {
      const name = isObject(message.params) && typeof message.params.name === 'string' ? message.params.name : '';
      outcome = this.byPolicy(message.id, 'prompts', name, `prompt "${name}"`);
    } else if (method === 'completion/complete') outcome = this.completion(message);
    const decided = (settled: Outcome): Decided => {
      const started = this.now();
      const argumentsOf = skeleton ? (): unknown => args : (): unknown => this.auditArguments(message, tool);
      if (settled.kind === 'answer') {
        // The gate's own answer was made when decided: booked after the write, it still ends at
        // `started`, so the write's time is not reported as the call's.
        return { outcome: settled, book: () => this.recordCall({ id: message.id as JsonRpcId, method, tool, arguments: argumentsOf(), cursor: false, started, bytesIn: bytes, admitted: false }, settled.line, 'deny', undefined, undefined, undefined, started) };
      }
      // Booked before it goes out (an in-process server can answer within the write), its
      // arguments' audit summary made after.
      const entry = this.expect(message, tool, started, bytes, argumentsOf);
      return { outcome: settled, book: () => summarise(entry) };
    };
    return outcome instanceof Promise ? outcome.then(decided) : decided(outcome);
  }

  /** The call's arguments as its audit record carries them (audit.arguments). */
  private auditArguments(message: JsonRpcMessage, tool: string | undefined): unknown {
    return tool !== undefined && isObject(message.params) ? redact(message.params.arguments, this.config.auditArguments, this.context.secrets) : undefined;
  }

  /** A request that goes on to the server: its answer is expected. */
  private expect(message: JsonRpcMessage, tool: string | undefined, started: number, bytes: number, argumentsOf: () => unknown): Pending {
    const id = message.id as JsonRpcId;
    const method = message.method as string;
    const cursor = isObject(message.params) && message.params.cursor !== undefined;
    const entry: Pending = { id, method, tool, argumentsOf, cursor, started, bytesIn: bytes, admitted: method === 'tools/call' };
    this.pending.set(idKey(id), entry);
    if (method === 'tools/call') this.context.onToolCall?.({ id, tool, phase: 'start', at: started });
    return entry;
  }

  private clientNotification(message: JsonRpcMessage): Outcome {
    if (message.method === 'notifications/roots/list_changed' && this.config.roots !== 'client') return DROP;
    if (message.method === 'notifications/cancelled' && isObject(message.params) && isId(message.params.requestId)) {
      const entry = this.pending.get(idKey(message.params.requestId));
      if (entry) {
        this.pending.delete(idKey(entry.id));
        if (entry.admitted) this.limits.release();
        this.recordCall(entry, undefined, 'allow', 'cancelled');
      }
    }
    return FORWARD;
  }

  /** Under roots: mounts the gate answers roots/list, so the server must know it may ask. */
  private initialize(message: JsonRpcMessage): Outcome {
    if (isObject(message.params)) {
      const info = isObject(message.params.clientInfo) ? message.params.clientInfo : {};
      const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
      this.context.onInitialize?.({ name: text(info.name), version: text(info.version), protocolVersion: text(message.params.protocolVersion) });
    }
    if (this.config.roots !== 'mounts' || this.context.mounts.length === 0 || !isObject(message.params)) return FORWARD;
    const capabilities = isObject(message.params.capabilities) ? message.params.capabilities : {};
    if (isObject(capabilities.roots) && Object.keys(capabilities.roots).length === 0) return FORWARD;
    return { kind: 'replace', message: { ...message, params: { ...message.params, capabilities: { ...capabilities, roots: {} } } } };
  }

  /** Completions name a prompt or a resource template: a denied one gets no completions either. */
  private completion(message: JsonRpcMessage): Outcome {
    const ref = isObject(message.params) && isObject(message.params.ref) ? message.params.ref : {};
    const id = message.id as JsonRpcId;
    if (ref.type === 'ref/prompt' && typeof ref.name === 'string') return this.byPolicy(id, 'prompts', ref.name, `prompt "${ref.name}"`);
    if (ref.type === 'ref/resource' && typeof ref.uri === 'string') return this.byPolicy(id, 'resources', ref.uri, `resource ${ref.uri}`);
    return FORWARD;
  }

  private byPolicy(id: JsonRpcId, key: 'tools' | 'resources' | 'prompts', value: string, what: string): Outcome {
    const verdict = this.matchers[key].check(value);
    return verdict.allowed ? FORWARD : this.refuse(id, GATE_ERRORS.DENIED, `${what} is denied by ${verdict.rule}`, verdict.rule);
  }

  private refuse(id: JsonRpcId | null, code: GateErrorCode, message: string, rule: string): Outcome {
    return { kind: 'answer', line: errorLine(id, code, message, rule) };
  }

  private toolCall(message: JsonRpcMessage, tool: string | undefined): Outcome | Promise<Outcome> {
    const id = message.id as JsonRpcId;
    if (tool === undefined) return this.refuse(id, GATE_ERRORS.INVALID_ARGUMENTS, 'tools/call without a tool name', 'tools/call');
    const policy = this.byPolicy(id, 'tools', tool, `tool "${tool}"`);
    if (policy.kind !== 'forward') return policy;
    if (!this.tools.isKnown(tool)) return this.toolCallAfterListing(message, tool);
    return this.knownToolCall(message, tool);
  }

  private async toolCallAfterListing(message: JsonRpcMessage, tool: string): Promise<Outcome> {
    const id = message.id as JsonRpcId;
    const problem = await this.listToolsOnce();
    if (problem) return this.refuse(id, GATE_ERRORS.UNKNOWN_TOOL, `could not list the server's tools to check "${tool}": ${problem}`, 'tools');
    if (!this.tools.isKnown(tool)) return this.refuse(id, GATE_ERRORS.UNKNOWN_TOOL, `tool "${tool}" is not in the server's tools/list`, 'tools');
    return this.knownToolCall(message, tool);
  }

  private knownToolCall(message: JsonRpcMessage, tool: string): Outcome | Promise<Outcome> {
    const id = message.id as JsonRpcId;
    if (this.tools.isDrifted(tool)) {
      return this.refuse(id, GATE_ERRORS.DRIFTED, `tool "${tool}" differs from the lock file and is blocked (tools.onDrift: block; review it and run mcp-sandbox lock)`, 'tools.onDrift');
    }
    const verdict = this.tools.validate(tool, isObject(message.params) ? message.params.arguments : undefined);
    return verdict instanceof Promise ? verdict.then((later) => this.admitCall(id, tool, later)) : this.admitCall(id, tool, verdict);
  }

  private admitCall(id: JsonRpcId, tool: string, invalid: Verdict): Outcome {
    if (invalid) return this.refuse(id, GATE_ERRORS.INVALID_ARGUMENTS, `invalid arguments for "${tool}": ${invalid.problem}`, invalid.rule);
    const limit = this.limits.admit();
    if (!limit.ok) return this.refuse(id, limit.rule === 'limits.callsPerMinute' ? GATE_ERRORS.RATE_LIMITED : GATE_ERRORS.TOO_MANY_CONCURRENT, limit.message, limit.rule);
    return FORWARD;
  }

  /** The gate's own tools/list (all pages), its answers never forwarded; one at a time. */
  private listToolsOnce(): Promise<string | undefined> {
    this.listing ??= this.listAllTools().finally(() => {
      this.listing = undefined;
    });
    return this.listing.then(() => undefined, (error: unknown) => (error as Error).message);
  }

  private async listAllTools(): Promise<void> {
    let cursor: unknown;
    for (let page = 0; page < 100; page += 1) {
      const response = await this.ask('tools/list', cursor === undefined ? {} : { cursor });
      if (!response || !isObject(response.result)) throw new Error(response ? `the server answered ${JSON.stringify(response.error)}` : 'no answer in time');
      const tools = Array.isArray(response.result.tools) ? response.result.tools : [];
      this.afterToolsList(tools, page === 0);
      cursor = response.result.nextCursor;
      if (typeof cursor !== 'string' || cursor === '') return;
    }
  }

  private ask(method: string, params: unknown): Promise<JsonRpcMessage | undefined> {
    let id = `${this.ownPrefix}${(this.ownCounter += 1)}`;
    while (this.pending.has(idKey(id))) id = `${this.ownPrefix}${(this.ownCounter += 1)}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.own.delete(idKey(id));
        resolve(undefined);
      }, GATE_LIST_TIMEOUT_MS);
      this.own.set(idKey(id), { resolve, timer });
      this.out.toServer(messageLine({ jsonrpc: '2.0', id, method, params }));
    });
  }

  // --- server -> client -----------------------------------------------------------------

  /** A scan for a long server line still arriving; undefined when there is nothing to scan with yet. */
  prescan(): Prescan | undefined {
    return this.config.secretScan !== 'off' ? new Prescan(this.scanner) : undefined;
  }

  /**
   * `prescan`: the line was scanned while it arrived (a clean result saves the scan here).
   * Synchronous unless the token rules must load first; the records it makes are written once
   * the message is out.
   */
  fromServer(line: Line, prescan?: Prescan): void | Promise<void> {
    const clean = this.config.secretScan === 'off' || (prescan ? !prescan.finish(line) : false);
    this.hold();
    try {
      if (clean && line.length >= LARGE_LINE && this.passLarge(line)) return;
      const text = textOf(line);
      if (line.length < LARGE_LINE && this.forwardsUnread(text, clean)) {
        this.out.toClient(line.parts);
        this.bookForwarded(text, line.length);
        return;
      }
      const message = parseText(text);
      let outcome: Outcome = FORWARD;
      if (Array.isArray(message)) outcome = this.serverBatch(message, line.length);
      else if (isObject(message)) outcome = this.serverMessage(message as JsonRpcMessage, line.length);
      if (outcome.kind === 'drop' || outcome.kind === 'answer') return;
      if (this.config.secretScan !== 'off' && !clean) {
        const scanned = this.scan(line, text, message, outcome);
        if (scanned instanceof Promise) {
          this.release();
          return scanned.then((later) => this.serverOutcome(later, line));
        }
        outcome = scanned;
      }
      this.serverOutcome(outcome, line);
    } finally {
      this.release();
    }
  }

  /**
   * True when nothing this server line could say changes what the gate does with it: no secret
   * can be in it, and no request of the gate's own, no list to filter and no roots/list to
   * answer is possible. Such a line is forwarded before it is parsed; the parse and the booking
   * come after the write (bookForwarded), off the echo's round trip.
   */
  private forwardsUnread(text: string, clean: boolean): boolean {
    if (!clean && this.config.secretScan !== 'off' && this.scanner.mayHoldText(text)) return false;
    if (this.own.size > 0 || this.pending.lists > 0) return false;
    return this.config.roots === 'client' || !text.includes('roots/list');
  }

  /** The bookkeeping of a line forwardsUnread let through: the same as for any forwarded answer. */
  private bookForwarded(text: string, bytes: number): void {
    const message = parseText(text);
    if (Array.isArray(message)) this.serverBatch(message, bytes);
    else if (isObject(message)) this.serverMessage(message as JsonRpcMessage, bytes);
  }

  private serverOutcome(outcome: Outcome, line: Line): void {
    if (outcome.kind === 'drop') return;
    if (outcome.kind === 'answer') return this.out.toClient(outcome.line);
    this.out.toClient(outcome.kind === 'replace' ? messageLine(outcome.message) : forwardable(line));
  }

  /**
   * A long, clean response to a request the gate only books (not a list it filters): read the
   * id from its ends rather than parsing it all, and forward it as it came. False: parse it.
   */
  private passLarge(line: Line): boolean {
    const head = headOf(line);
    const tail = tailOf(line);
    const id = sniffId(head, tail);
    if (id === undefined || sniffIsRequest(head)) return false;
    const entry = this.pending.get(idKey(id));
    if (!entry || LIST_FIELDS[entry.method] || this.own.has(idKey(id))) return false;
    this.pending.delete(idKey(id));
    if (entry.admitted) this.limits.release();
    const isError = /^\s*\{[^{}[\]]*?"error"\s*:/.test(head.toString('utf8')) || /"isError"\s*:\s*true/.test(tail.toString('utf8'));
    this.recordCall(entry, undefined, 'allow', undefined, { id, ...(isError ? { error: true } : {}) }, line.length);
    this.out.toClient(forwardable(line));
    return true;
  }

  private serverBatch(batch: unknown[], bytes: number): Outcome {
    let changed = false;
    const kept: unknown[] = [];
    for (const element of batch) {
      const outcome = isObject(element) ? this.serverMessage(element as JsonRpcMessage, Math.round(bytes / batch.length)) : FORWARD;
      if (outcome.kind === 'forward') kept.push(element);
      else {
        changed = true;
        if (outcome.kind === 'replace') kept.push(outcome.message);
      }
    }
    if (!changed) return FORWARD;
    return kept.length > 0 ? { kind: 'replace', message: kept } : DROP;
  }

  private serverMessage(message: JsonRpcMessage, bytes: number): Outcome {
    if (typeof message.method === 'string') {
      if (message.method === 'notifications/tools/list_changed') this.tools.markStale();
      if (message.method === 'roots/list' && isId(message.id)) return this.answerRoots(message.id);
      return FORWARD;
    }
    if (!isId(message.id)) return FORWARD;
    const key = idKey(message.id);
    const mine = this.own.get(key);
    if (mine) {
      this.own.delete(key);
      clearTimeout(mine.timer);
      mine.resolve(message);
      return DROP;
    }
    const entry = this.pending.get(key);
    if (!entry) return FORWARD;
    this.pending.delete(key);
    if (entry.admitted) this.limits.release();
    const outcome = isObject(message.result) ? this.filterResult(entry, message) : FORWARD;
    const ended = this.now();
    this.later(() => this.recordCall(entry, undefined, 'allow', undefined, message, bytes, ended));
    return outcome;
  }

  private answerRoots(id: JsonRpcId): Outcome {
    if (this.config.roots === 'client') return FORWARD;
    const roots = this.config.roots === 'mounts' ? rootsOfMounts(this.context.mounts) : [];
    this.out.toServer(resultLine(id, { roots }));
    return DROP;
  }

  /** tools/list, resources/list, resources/templates/list, prompts/list: what the policy hides goes. */
  private filterResult(entry: Pending, message: JsonRpcMessage): Outcome {
    const result = message.result as Record<string, unknown>;
    const field = LIST_FIELDS[entry.method];
    if (!field || !Array.isArray(result[field.key])) return FORWARD;
    const items = result[field.key] as unknown[];
    if (entry.method === 'tools/list') this.afterToolsList(items, !entry.cursor);
    const matcher = this.matchers[field.policy];
    const visible = items.filter((item) => {
      const value = isObject(item) ? item[field.name] : undefined;
      if (typeof value !== 'string') return true;
      if (!matcher.check(value).allowed) return false;
      return !(entry.method === 'tools/list' && this.tools.isDrifted(value));
    });
    if (visible.length === items.length) return FORWARD;
    return { kind: 'replace', message: { ...message, result: { ...result, [field.key]: visible } } };
  }

  private afterToolsList(tools: readonly unknown[], firstPage: boolean): void {
    const report = this.tools.learn(tools, firstPage);
    if (!report) return;
    for (const [kind, names] of [['added', report.added], ['changed', report.changed]] as const) {
      for (const name of names) {
        const key = `${kind}:${name}`;
        if (this.reported.has(key)) continue;
        this.reported.add(key);
        const blocked = this.tools.onDrift === 'block';
        this.security({ event: 'tool-drift', tool: name, drift: kind, action: blocked ? 'blocked' : 'warned' });
        this.context.log?.(`tool "${name}" is ${kind === 'added' ? 'not in' : 'different from'} the lock file${blocked ? ': hidden and blocked' : ''}`);
      }
    }
  }

  private scan(line: Line, original: string, parsed: unknown, outcome: Outcome): Outcome | Promise<Outcome> {
    const text = outcome.kind === 'replace' ? JSON.stringify(outcome.message) : original;
    if (!this.scanner.mayHoldText(text)) return outcome;
    if (!this.scanner.ready) return this.tokenRules().then(() => this.scanText(line, text, parsed, outcome));
    return this.scanText(line, text, parsed, outcome);
  }

  private scanText(line: Line, text: string, parsed: unknown, outcome: Outcome): Outcome {
    const flagged = this.scanner.findInRaw(text);
    if (flagged.length === 0) return outcome;
    const base = outcome.kind === 'replace' ? outcome.message : parsed;
    let sources: string[];
    let masked: unknown;
    let raw: string | undefined;
    if (base === undefined) {
      const result = this.scanner.maskText(text);
      [sources, raw] = [result.sources, result.value];
    } else {
      const result = this.scanner.maskJson(base);
      [sources, masked] = [result.sources, result.value];
    }
    if (sources.length === 0) return outcome;
    const id = isObject(base) && base.method === undefined && isId(base.id) ? base.id : undefined;
    const block = this.config.secretScan === 'block';
    for (const source of new Set(sources)) this.security({ event: block ? 'secret-blocked' : 'secret-masked', source, count: sources.filter((s) => s === source).length, id });
    if (block) {
      return id === undefined ? DROP : this.refuse(id, GATE_ERRORS.SECRET_BLOCKED, `the server's answer carried a secret (${[...new Set(sources)].map(labelOf).join(', ')}) and was blocked (secretScan: block)`, 'secretScan');
    }
    if (raw !== undefined) return { kind: 'answer', line: Buffer.from(lastByteOf(line) === 10 ? `${raw.replace(/\n$/, '')}\n` : raw) };
    return { kind: 'replace', message: masked };
  }

  // --- over-size messages -----------------------------------------------------------------

  /** A line over limits.maxMessageBytes, never held whole: answered when its id could be read. */
  oversize(from: 'client' | 'server', id: JsonRpcId | undefined, isRequest: boolean, length: number): void {
    const rule = 'limits.maxMessageBytes';
    const text = `a message of ${length} bytes from the ${from} exceeds ${this.config.limits.maxMessageBytes} bytes (${rule})`;
    this.security({ event: 'oversize', from, bytes: length, id });
    this.context.log?.(text);
    if (id === undefined) return;
    const line = errorLine(id, GATE_ERRORS.TOO_LARGE, text, rule);
    if (from === 'client') {
      // A request is answered to the client; a response is an error to the server's request.
      if (isRequest) this.out.toClient(line);
      else this.out.toServer(line);
      return;
    }
    if (isRequest) return this.out.toServer(line);
    const entry = this.pending.get(idKey(id));
    if (!entry) return;
    this.pending.delete(idKey(id));
    if (entry.admitted) this.limits.release();
    this.recordCall(entry, line, 'deny', rule);
    this.out.toClient(line);
  }

  /** A message the gate failed on (a bug): a request still gets an answer, so nothing hangs. */
  failed(from: 'client' | 'server', id: JsonRpcId | undefined, isRequest: boolean, reason: string): void {
    this.security({ event: 'gate-error', from, id, message: reason });
    if (id === undefined || !isRequest) return;
    const line = errorLine(id, GATE_ERRORS.INTERNAL, `the gate could not check this message: ${reason}`, 'gate');
    if (from === 'client') {
      this.pending.delete(idKey(id));
      this.out.toClient(line);
    } else this.out.toServer(line);
  }

  // --- audit ------------------------------------------------------------------------------

  /** `ended`: when the answer came (default now). */
  private recordCall(entry: Pending, answer: Buffer | undefined, decision: 'allow' | 'deny', rule?: string, response?: JsonRpcMessage, bytesOut?: number, ended = this.now()): void {
    if (entry.admitted) this.context.onToolCall?.({ id: entry.id, tool: entry.tool, phase: 'end', at: ended });
    let isError = answer !== undefined || rule === 'cancelled' || rule === 'unanswered';
    if (response) isError = response.error !== undefined || (isObject(response.result) && response.result.isError === true);
    const record: Record<string, unknown> = {
      type: 'call',
      method: entry.method,
      id: entry.id,
      durationMs: Math.max(0, ended - entry.started),
      isError,
      bytesIn: entry.bytesIn,
      bytesOut: bytesOut ?? answer?.length ?? 0,
      decision,
    };
    if (entry.tool !== undefined) {
      record.tool = entry.tool;
      summarise(entry);
      if (entry.arguments !== undefined) record.arguments = entry.arguments;
    }
    if (answer) record.rule = ruleOf(answer);
    else if (rule) record.rule = rule;
    this.audit(record);
  }

  private security(event: Record<string, unknown>): void {
    const record: Record<string, unknown> = { type: 'security', ...event };
    if (record.id === undefined) delete record.id;
    this.audit(record);
  }

  /** Records go to the log at once, or after the message being decided is out (hold). */
  private audit(record: Record<string, unknown>): void {
    if (this.held) this.held.push(record);
    else this.context.audit.record(record);
  }

  /** Bookkeeping that can wait until the message being decided is out (at once when nothing is held). */
  private later(work: () => void): void {
    if (this.held) this.held.push(work);
    else work();
  }

  /** From here until release(), records wait: the message they are about goes out first. */
  private hold(): void {
    this.held ??= [];
  }

  private release(): void {
    const held = this.held;
    this.held = undefined;
    if (!held) return;
    for (const item of held) {
      if (typeof item === 'function') item();
      else this.context.audit.record(item);
    }
  }

  /** The session ended: requests still open are recorded as unanswered. */
  close(): void {
    for (const entry of this.pending.values()) this.recordCall(entry, undefined, 'allow', 'unanswered');
    this.pending.clear();
    for (const { resolve, timer } of this.own.values()) {
      clearTimeout(timer);
      resolve(undefined);
    }
    this.own.clear();
  }
}

/** Methods the policy decides on: they only pass as proper requests. */
const POLICED = new Set(['tools/call', 'resources/read', 'resources/subscribe', 'resources/unsubscribe', 'prompts/get', 'completion/complete']);

const LIST_FIELDS: Record<string, { key: string; name: string; policy: 'tools' | 'resources' | 'prompts' } | undefined> = {
  'tools/list': { key: 'tools', name: 'name', policy: 'tools' },
  'resources/list': { key: 'resources', name: 'uri', policy: 'resources' },
  'resources/templates/list': { key: 'resourceTemplates', name: 'uriTemplate', policy: 'resources' },
  'prompts/list': { key: 'prompts', name: 'name', policy: 'prompts' },
};

/**
 * The requests awaiting their answer, by id key, with a count of the list requests among them
 * (whose answers the gate may filter: while none is open, a server line can go out unread).
 */
export class PendingCalls extends Map<string, Pending> {
  lists = 0;

  override set(key: string, entry: Pending): this {
    this.forget(key);
    if (LIST_FIELDS[entry.method]) this.lists += 1;
    return super.set(key, entry);
  }

  override delete(key: string): boolean {
    this.forget(key);
    return super.delete(key);
  }

  override clear(): void {
    this.lists = 0;
    super.clear();
  }

  private forget(key: string): void {
    const entry = this.get(key);
    if (entry && LIST_FIELDS[entry.method]) this.lists -= 1;
  }
}

/** The pending call's audit summary of its arguments, made once; the parsed request is let go. */
function summarise(entry: Pending): void {
  if (!entry.argumentsOf) return;
  entry.arguments = entry.argumentsOf();
  entry.argumentsOf = undefined;
}

function parse(line: Buffer): unknown {
  return parseText(line.toString('utf8'));
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function ruleOf(line: Buffer): string | undefined {
  const parsed = parse(line) as { error?: { data?: { rule?: string } } } | undefined;
  return parsed?.error?.data?.rule;
}

function labelOf(source: string): string {
  return source.replace(/^secret:/, 'declared secret ').replace(/^@secretlint\/secretlint-rule-/, '');
}

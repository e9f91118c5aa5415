/**
 * What the gate knows about the server's tools: the definitions from its last tools/list, the
 * tools hidden for drift, and the compiled argument validators (inputSchema and the profile's
 * constrain, both of which must pass).
 */
import type { PinningCheck, ToolDescriptor } from './ports.js';
import type { DriftMode, GateConfig } from './types.js';
import { isObject } from './jsonrpc.js';
import { quickCheckOf, type QuickCheck } from './quick-schema.js';
import { NeedsWholeMessage, holdsLong } from './skeleton.js';
import { compileSchema, type Validator } from './validate.js';

/** A failed validation (its problem and the rule), or undefined when the arguments pass. */
export type Verdict = { problem: string; rule: string } | undefined;

export interface DriftReport {
  added: string[];
  changed: string[];
}

/** A schema's checks: the quick accept when it is in its subset, ajv's validator once needed. */
interface SchemaEntry {
  schema: unknown;
  quick: QuickCheck | undefined;
  validate?: Validator;
  error?: string;
}

interface ToolValidator extends SchemaEntry {
  tool: ToolDescriptor;
  key: string;
}

export class ToolState {
  /** undefined until listed, and again after notifications/tools/list_changed. */
  private known: Map<string, ToolDescriptor> | undefined;
  private readonly drifted = new Set<string>();
  private readonly validators = new Map<string, ToolValidator>();
  private readonly constrainValidators = new Map<string, SchemaEntry>();

  constructor(private readonly config: GateConfig['tools'], private readonly pinning: PinningCheck) {}

  get onDrift(): DriftMode {
    return this.config.onDrift;
  }

  isKnown(name: string): boolean {
    return this.known?.has(name) ?? false;
  }

  isDrifted(name: string): boolean {
    return this.config.onDrift === 'block' && this.drifted.has(name);
  }

  markStale(): void {
    this.known = undefined;
  }

  /**
   * Takes in one page of a tools/list result (the first page replaces what was known) and
   * returns the drift against the lock, when pinning is on.
   */
  learn(tools: readonly unknown[], firstPage: boolean): DriftReport | undefined {
    if (firstPage || !this.known) this.known = new Map();
    const descriptors: ToolDescriptor[] = [];
    for (const tool of tools) {
      if (!isObject(tool) || typeof tool.name !== 'string') continue;
      const descriptor = tool as unknown as ToolDescriptor;
      this.known.set(descriptor.name, descriptor);
      descriptors.push(descriptor);
    }
    if (this.config.onDrift === 'off') return undefined;
    const report = this.pinning.drifted(descriptors);
    if (firstPage) this.drifted.clear();
    for (const name of [...report.added, ...report.changed]) this.drifted.add(name);
    return report;
  }

  /**
   * What is wrong when the arguments fail the tool's inputSchema or its constrain schema, and
   * which rule says so. Answered at once when the quick checks accept (the common case): a
   * promise only when ajv has to decide, so an ordinary call is forwarded in the same tick.
   */
  validate(name: string, args: unknown): Verdict | Promise<Verdict> {
    const tool = this.known?.get(name);
    const constrain = this.config.constrain[name];
    if (tool?.inputSchema === undefined && constrain === undefined) return undefined;
    const data = args ?? {};
    const inputPasses = tool?.inputSchema === undefined || this.entryFor(name, tool).quick?.(data) === true;
    const constrainPasses = constrain === undefined || this.constrainEntry(name, constrain).quick?.(data) === true;
    if (inputPasses && constrainPasses) return undefined;
    if (holdsLong(data)) throw new NeedsWholeMessage();
    return this.validateFully(tool, name, constrain, data, inputPasses);
  }

  private async validateFully(tool: ToolDescriptor | undefined, name: string, constrain: unknown, data: unknown, inputPasses: boolean): Promise<Verdict> {
    if (tool?.inputSchema !== undefined && !inputPasses) {
      const problem = (await this.full(this.entryFor(name, tool))).validate?.(data);
      if (problem) return { problem: `${problem} (the tool's inputSchema)`, rule: 'tools.inputSchema' };
    }
    if (constrain !== undefined) {
      const rule = `tools.constrain.${name}`;
      const entry = this.constrainEntry(name, constrain);
      if (entry.quick?.(data)) return undefined;
      const full = await this.full(entry);
      if (full.error !== undefined) return { problem: `${rule} is not a valid JSON Schema: ${full.error}`, rule };
      const problem = full.validate?.(data);
      if (problem) return { problem: `${problem} (${rule})`, rule };
    }
    return undefined;
  }

  private constrainEntry(name: string, constrain: unknown): SchemaEntry {
    let entry = this.constrainValidators.get(name);
    if (!entry) {
      entry = { schema: constrain, quick: quickCheckOf(constrain) };
      this.constrainValidators.set(name, entry);
    }
    return entry;
  }

  /** The tool's validator entry: same definition object, same entry; a new list compares the schema text first. */
  private entryFor(name: string, tool: ToolDescriptor): ToolValidator {
    let entry = this.validators.get(name);
    if (entry?.tool === tool) return entry;
    const key = JSON.stringify(tool.inputSchema);
    if (entry?.key === key) entry = { ...entry, tool };
    else entry = { tool, key, schema: tool.inputSchema, quick: quickCheckOf(tool.inputSchema) };
    this.validators.set(name, entry);
    return entry;
  }

  /** ajv's validator for an entry, compiled once (a server's own broken schema cannot be checked against). */
  private async full(entry: SchemaEntry): Promise<SchemaEntry> {
    if (entry.validate === undefined && entry.error === undefined) {
      try {
        entry.validate = await compileSchema(entry.schema);
      } catch (error) {
        entry.error = (error as Error).message;
      }
    }
    return entry;
  }

  /** The broken-schema note for a tool, if its inputSchema could not be compiled. */
  schemaProblem(name: string): string | undefined {
    return this.validators.get(name)?.error;
  }
}

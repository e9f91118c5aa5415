/**
 * What the gate knows about the server's tools: the definitions from its last tools/list, the
 * tools hidden for drift, and the compiled argument validators (inputSchema and the profile's
 * constrain, both of which must pass).
 */
import type { PinningCheck, ToolDescriptor } from './ports.js';
import type { DriftMode, GateConfig } from './types.js';
import { isObject } from './jsonrpc.js';
import { loadSchemaCompiler, type Validator } from './validate.js';

export interface DriftReport {
  added: string[];
  changed: string[];
}

export class ToolState {
  /** undefined until listed, and again after notifications/tools/list_changed. */
  private known: Map<string, ToolDescriptor> | undefined;
  private readonly drifted = new Set<string>();
  private readonly validators = new Map<string, { tool: ToolDescriptor; schema: string; validate: Validator | undefined; error?: string }>();
  private readonly constrainValidators = new Map<string, Validator | string>();

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

  /** What is wrong when the arguments fail the tool's inputSchema or its constrain schema, and which rule says so. */
  async validate(name: string, args: unknown): Promise<{ problem: string; rule: string } | undefined> {
    const tool = this.known?.get(name);
    const constrain = this.config.constrain[name];
    if (tool?.inputSchema === undefined && constrain === undefined) return undefined;
    const compiler = await loadSchemaCompiler();
    const data = args ?? {};
    if (tool?.inputSchema !== undefined) {
      let entry = this.validators.get(name);
      // Same definition object: same validator. A new list compares the schema text first.
      if (entry?.tool !== tool) {
        const key = JSON.stringify(tool.inputSchema);
        if (entry?.schema === key) entry = { ...entry, tool };
        else {
          try {
            entry = { tool, schema: key, validate: compiler.compile(tool.inputSchema) };
          } catch (error) {
            // A server's own broken schema cannot be checked against; constrain still applies.
            entry = { tool, schema: key, validate: undefined, error: (error as Error).message };
          }
        }
        this.validators.set(name, entry);
      }
      const problem = entry.validate?.(data);
      if (problem) return { problem: `${problem} (the tool's inputSchema)`, rule: 'tools.inputSchema' };
    }
    if (constrain !== undefined) {
      let validate = this.constrainValidators.get(name);
      if (validate === undefined) {
        try {
          validate = compiler.compile(constrain);
        } catch (error) {
          validate = `tools.constrain.${name} is not a valid JSON Schema: ${(error as Error).message}`;
        }
        this.constrainValidators.set(name, validate);
      }
      const rule = `tools.constrain.${name}`;
      if (typeof validate === 'string') return { problem: validate, rule };
      const problem = validate(data);
      if (problem) return { problem: `${problem} (${rule})`, rule };
    }
    return undefined;
  }

  /** The broken-schema note for a tool, if its inputSchema could not be compiled. */
  schemaProblem(name: string): string | undefined {
    return this.validators.get(name)?.error;
  }
}

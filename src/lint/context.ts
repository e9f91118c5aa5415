/**
 * The real outside facts for rule checks. Lean on purpose: `run` builds one on every start to
 * enforce the lint verdict, so this imports no client-config parsing, no yaml, no commander.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { clientConfigLocations } from '../clients/paths.js';
import { createRealpath } from '../fs/realpath.js';
import { lockPathFor } from '../gate/lock-format.js';
import { RULES_BY_ID } from './registry.js';
import type { RuleContext } from './types.js';

export interface RuleContextOptions {
  platform?: NodeJS.Platform;
  realpath?: (file: string) => string;
}

/** The outside facts for checks, from the real environment (or the given home and platform). */
export function defaultRuleContext(home: string = homedir(), options: RuleContextOptions = {}): RuleContext {
  const platform = options.platform ?? process.platform;
  return {
    home,
    clientConfigPaths: clientConfigLocations(home),
    ruleIds: new Set(RULES_BY_ID.keys()),
    realpath: options.realpath ?? createRealpath(),
    caseInsensitive: platform === 'darwin' || platform === 'win32',
    hasLockFile: (file) => existsSync(lockPathFor(file)),
  };
}

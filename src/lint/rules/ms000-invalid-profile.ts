import { defineRule } from '../types.js';

/** Reported by the engine when a file fails parse, schema or normalize; it has no check of its own. */
export const rule = defineRule({
  id: 'MS000',
  name: 'invalid-profile',
  title: 'Profile does not load',
  severity: 'error',
  suppressible: false,
  rationale: 'A profile that fails to parse, fails the schema or cannot be normalized cannot be run or reviewed; every other rule needs a loaded profile.',
  remediation: 'Fix the error at the reported position; `mcp-sandbox validate` shows the same message.',
  check: () => [],
});

import path from 'node:path';
import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS801',
  name: 'no-tool-lock',
  title: 'No tool lock next to the profile',
  severity: 'warning',
  rationale:
    'A profile is reviewed together with the tools its server offers. Without a lock file (`<profile>.lock.json`, written by `mcp-sandbox lock`) the gate has nothing to compare `tools/list` with, so a server that changes a tool\'s description or schema after review (a rug pull, or prompt injection hidden in a description) goes unnoticed.',
  remediation: 'Run `mcp-sandbox lock <profile>`, review the lock file and commit it next to the profile.',
  check: (_profile, ctx) => {
    if (ctx.profileFile === undefined || ctx.hasLockFile === undefined || ctx.hasLockFile(ctx.profileFile)) return [];
    const lock = `${path.basename(ctx.profileFile).replace(/\.ya?ml$/i, '')}.lock.json`;
    return [{ pointer: '', message: `no tool lock ${lock} next to the profile: tools that change after review go unnoticed` }];
  },
});

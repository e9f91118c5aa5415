/**
 * Every rule, in id order. Imports are static so the bundle contains them; a meta-test checks
 * this list against the files in rules/ so a new rule file cannot be forgotten here.
 */
import { rule as r0 } from './rules/ms000-invalid-profile.js';
import { rule as r1 } from './rules/ms001-justification-without-reason.js';
import { rule as r2 } from './rules/ms002-justification-unknown-rule.js';
import { rule as r3 } from './rules/ms101-runtime-not-gvisor.js';
import { rule as r4 } from './rules/ms102-privileged.js';
import { rule as r5 } from './rules/ms103-host-pid-namespace.js';
import { rule as r6 } from './rules/ms104-host-ipc-namespace.js';
import { rule as r7 } from './rules/ms105-host-uts-namespace.js';
import { rule as r8 } from './rules/ms106-host-user-namespace.js';
import { rule as r9 } from './rules/ms107-seccomp-unconfined.js';
import { rule as r10 } from './rules/ms108-seccomp-ignored-by-runsc.js';
import { rule as r11 } from './rules/ms109-init-disabled.js';
import { rule as r12 } from './rules/ms110-unsandboxed-server.js';
import { rule as r13 } from './rules/ms201-network-enabled.js';
import { rule as r14 } from './rules/ms202-host-network.js';
import { rule as r15 } from './rules/ms301-sensitive-host-path.js';
import { rule as r16 } from './rules/ms302-writable-root-filesystem.js';
import { rule as r17 } from './rules/ms303-writable-mount.js';
import { rule as r18 } from './rules/ms304-tmpfs-without-size.js';
import { rule as r19 } from './rules/ms305-tmpfs-exec.js';
import { rule as r20 } from './rules/ms401-no-user.js';
import { rule as r21 } from './rules/ms402-root-user.js';
import { rule as r22 } from './rules/ms403-dangerous-capability.js';
import { rule as r23 } from './rules/ms404-capability-added.js';
import { rule as r24 } from './rules/ms405-cap-drop-not-all.js';
import { rule as r25 } from './rules/ms406-new-privileges-allowed.js';
import { rule as r26 } from './rules/ms501-no-memory-limit.js';
import { rule as r27 } from './rules/ms502-swap-enabled.js';
import { rule as r28 } from './rules/ms503-no-cpu-limit.js';
import { rule as r29 } from './rules/ms504-no-pids-limit.js';
import { rule as r30 } from './rules/ms505-pids-limit-too-low.js';
import { rule as r31 } from './rules/ms601-secret-in-env.js';
import { rule as r32 } from './rules/ms602-env-and-secret.js';
import { rule as r33 } from './rules/ms603-secret-name-in-env.js';
import { rule as r34 } from './rules/ms701-image-not-pinned.js';
import { rule as r35 } from './rules/ms702-image-without-digest.js';
import { rule as r36 } from './rules/ms801-no-tool-lock.js';
import type { Rule } from './types.js';

export const RULES: readonly Rule[] = [
  r0,
  r1,
  r2,
  r3,
  r4,
  r5,
  r6,
  r7,
  r8,
  r9,
  r10,
  r11,
  r12,
  r13,
  r14,
  r15,
  r16,
  r17,
  r18,
  r19,
  r20,
  r21,
  r22,
  r23,
  r24,
  r25,
  r26,
  r27,
  r28,
  r29,
  r30,
  r31,
  r32,
  r33,
  r34,
  r35,
  r36,
];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

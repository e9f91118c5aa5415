/**
 * Every rule, in id order, each imported under its own name. Imports are static so the bundle
 * contains them; a meta-test checks this list against the files in rules/ so a new rule file
 * cannot be forgotten here.
 */
import { rule as invalidProfile } from './rules/ms000-invalid-profile.js';
import { rule as justificationWithoutReason } from './rules/ms001-justification-without-reason.js';
import { rule as justificationUnknownRule } from './rules/ms002-justification-unknown-rule.js';
import { rule as runtimeNotGvisor } from './rules/ms101-runtime-not-gvisor.js';
import { rule as privileged } from './rules/ms102-privileged.js';
import { rule as hostPidNamespace } from './rules/ms103-host-pid-namespace.js';
import { rule as hostIpcNamespace } from './rules/ms104-host-ipc-namespace.js';
import { rule as hostUtsNamespace } from './rules/ms105-host-uts-namespace.js';
import { rule as hostUserNamespace } from './rules/ms106-host-user-namespace.js';
import { rule as seccompUnconfined } from './rules/ms107-seccomp-unconfined.js';
import { rule as seccompIgnoredByRunsc } from './rules/ms108-seccomp-ignored-by-runsc.js';
import { rule as initDisabled } from './rules/ms109-init-disabled.js';
import { rule as unsandboxedServer } from './rules/ms110-unsandboxed-server.js';
import { rule as containerCommandNotJudged } from './rules/ms111-container-command-not-judged.js';
import { rule as containerCliUnusualPath } from './rules/ms112-container-cli-unusual-path.js';
import { rule as containerCliNotDocker } from './rules/ms113-container-cli-not-docker.js';
import { rule as dockerFlagUnmapped } from './rules/ms114-docker-flag-unmapped.js';
import { rule as dockerFlagDangerous } from './rules/ms115-docker-flag-dangerous.js';
import { rule as networkEnabled } from './rules/ms201-network-enabled.js';
import { rule as hostNetwork } from './rules/ms202-host-network.js';
import { rule as egressBroadEntry } from './rules/ms203-egress-broad-entry.js';
import { rule as sensitiveHostPath } from './rules/ms301-sensitive-host-path.js';
import { rule as writableRootFilesystem } from './rules/ms302-writable-root-filesystem.js';
import { rule as writableMount } from './rules/ms303-writable-mount.js';
import { rule as tmpfsWithoutSize } from './rules/ms304-tmpfs-without-size.js';
import { rule as tmpfsExec } from './rules/ms305-tmpfs-exec.js';
import { rule as noUser } from './rules/ms401-no-user.js';
import { rule as rootUser } from './rules/ms402-root-user.js';
import { rule as dangerousCapability } from './rules/ms403-dangerous-capability.js';
import { rule as capabilityAdded } from './rules/ms404-capability-added.js';
import { rule as capDropNotAll } from './rules/ms405-cap-drop-not-all.js';
import { rule as newPrivilegesAllowed } from './rules/ms406-new-privileges-allowed.js';
import { rule as noMemoryLimit } from './rules/ms501-no-memory-limit.js';
import { rule as swapEnabled } from './rules/ms502-swap-enabled.js';
import { rule as noCpuLimit } from './rules/ms503-no-cpu-limit.js';
import { rule as noPidsLimit } from './rules/ms504-no-pids-limit.js';
import { rule as pidsLimitTooLow } from './rules/ms505-pids-limit-too-low.js';
import { rule as secretInEnv } from './rules/ms601-secret-in-env.js';
import { rule as envAndSecret } from './rules/ms602-env-and-secret.js';
import { rule as secretNameInEnv } from './rules/ms603-secret-name-in-env.js';
import { rule as imageNotPinned } from './rules/ms701-image-not-pinned.js';
import { rule as imageWithoutDigest } from './rules/ms702-image-without-digest.js';
import { rule as noToolLock } from './rules/ms801-no-tool-lock.js';
import type { Rule } from './types.js';

export const RULES: readonly Rule[] = [
  invalidProfile,
  justificationWithoutReason,
  justificationUnknownRule,
  runtimeNotGvisor,
  privileged,
  hostPidNamespace,
  hostIpcNamespace,
  hostUtsNamespace,
  hostUserNamespace,
  seccompUnconfined,
  seccompIgnoredByRunsc,
  initDisabled,
  unsandboxedServer,
  containerCommandNotJudged,
  containerCliUnusualPath,
  containerCliNotDocker,
  dockerFlagUnmapped,
  dockerFlagDangerous,
  networkEnabled,
  hostNetwork,
  egressBroadEntry,
  sensitiveHostPath,
  writableRootFilesystem,
  writableMount,
  tmpfsWithoutSize,
  tmpfsExec,
  noUser,
  rootUser,
  dangerousCapability,
  capabilityAdded,
  capDropNotAll,
  newPrivilegesAllowed,
  noMemoryLimit,
  swapEnabled,
  noCpuLimit,
  noPidsLimit,
  pidsLimitTooLow,
  secretInEnv,
  envAndSecret,
  secretNameInEnv,
  imageNotPinned,
  imageWithoutDigest,
  noToolLock,
];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

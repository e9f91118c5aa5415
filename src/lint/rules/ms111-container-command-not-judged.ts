import { toPointer } from '../../profile/pointer.js';
import { defineRule, type Finding } from '../types.js';

/** Variables that point the engine CLI somewhere else, as --host and --context do. */
const ENGINE_VARIABLES = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'CONTAINER_HOST', 'CONTAINER_CONNECTION', 'CONTAINERD_ADDRESS'];

export const rule = defineRule({
  id: 'MS111',
  name: 'container-command-not-judged',
  title: 'Client starts a container lint cannot judge',
  severity: 'error',
  rationale: 'Lint judges a client entry\'s container by reading its `docker run` line as a profile. An entry that reaches an engine any other way slips past that: global flags or variables before `run` (`--host`, `-H`, `--context`, `--config`, `DOCKER_HOST`) send it to another engine; `docker exec` runs in a container no profile describes; `docker compose` and `docker-compose` start whatever a compose file says; `sudo`, `env` or a shell in front run it with other privileges or hide the command. Such an entry must not pass as clean.',
  remediation: 'Start the server with a plain `docker run …` line (or `mcp-sandbox run <profile>`), on the default engine, without wrappers.',
  check: () => [],
  checkEntry: (entry) => {
    if (entry.remote || !entry.container) return [];
    const findings: Finding[] = entry.container.unjudged.map((u) => ({ pointer: u.index < 0 ? '/command' : `/args/${u.index}`, message: u.message }));
    for (const name of ENGINE_VARIABLES) {
      if (Object.hasOwn(entry.env, name)) findings.push({ pointer: toPointer(['env', name]), message: `env ${name} points the ${entry.container.engine} CLI at another engine or configuration` });
    }
    return findings;
  },
});

/**
 * Create bodies of the egress set's containers (docs/egress.md). Both run from the locally
 * built mcp-sandbox/egress image, read-only, every capability dropped, no new privileges, small
 * memory and pids limits, AutoRemove. The proxy runs as nobody throughout. The holder starts as
 * root with NET_ADMIN (the sandbox's firewall) and SETUID, SETGID, SETPCAP (to give it all up):
 * its entrypoint loads the rules, then becomes nobody with every capability set empty before
 * dnsmasq runs and before anything may join its namespace.
 */
import type { CreateBody } from '../compile/engine-body.js';
import { LABELS } from '../labels.js';

export const EGRESS_IMAGE = 'mcp-sandbox/egress:local';

/** `nobody`: dnsmasq and haproxy need no privilege (ports above 1024, no setuid). */
const NOBODY = '65534:65534';

/** What the holder's entrypoint needs to set the rules and then drop to nobody with no capability. */
export const HOLDER_CAPABILITIES: readonly string[] = ['NET_ADMIN', 'SETGID', 'SETUID', 'SETPCAP'];

export type EgressRole = 'dns' | 'proxy';

export interface HelperOptions {
  image: string;
  role: EgressRole;
  /** `container:<holder>` or a network name. */
  networkMode: string;
  runtime: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Keep stdin open and attached: the container ends when the launcher's attach closes. */
  tieStdin: boolean;
}

/** The create body of one helper container. */
export function helperBody(options: HelperOptions): CreateBody {
  const holder = options.role === 'dns';
  const env = { ...options.env, ...(options.tieStdin ? { EGRESS_TIE_STDIN: '1' } : {}) };
  return {
    Image: options.image,
    Cmd: ['/egress/entry.sh', options.role],
    // The holder sets the rules as root, then drops to nobody itself (images/egress/entry.sh).
    User: holder ? '0:0' : NOBODY,
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...options.labels, [LABELS.egress]: options.role },
    AttachStdin: options.tieStdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: options.tieStdin,
    StdinOnce: options.tieStdin,
    Tty: false,
    HostConfig: {
      AutoRemove: true,
      Runtime: options.runtime,
      NetworkMode: options.networkMode,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,noexec,nosuid,nodev,size=4m' },
      Mounts: [],
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      NanoCpus: 1_000_000_000,
      // gVisor counts its own threads against the pids limit (docs/engine.md); the holder's
      // tinyproxy runs a thread per client (configs.ts: MaxClients 32).
      PidsLimit: options.runtime.startsWith('runsc') ? 128 : holder ? 64 : 32,
      CapDrop: ['ALL'],
      CapAdd: holder ? [...HOLDER_CAPABILITIES] : [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: false,
    },
  };
}

/**
 * Create bodies of the egress set's containers (docs/egress.md). All run from the locally
 * built mcp-sandbox/egress image, read-only, every capability dropped (the firewall helper
 * gets NET_ADMIN only, and exits after setting the rules), non-root where the role allows,
 * no new privileges, small memory and pids limits, AutoRemove.
 */
import type { CreateBody } from '../compile/engine-body.js';
import { LABELS } from '../labels.js';

export const EGRESS_IMAGE = 'mcp-sandbox/egress:local';

/** `nobody`: dnsmasq and haproxy need no privilege (ports above 1024, no setuid). */
const NOBODY = '65534:65534';

export type EgressRole = 'dns' | 'proxy' | 'firewall';

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
  const firewall = options.role === 'firewall';
  const env = { ...options.env, ...(options.tieStdin ? { EGRESS_TIE_STDIN: '1' } : {}) };
  return {
    Image: options.image,
    Cmd: ['/egress/entry.sh', options.role],
    // The firewall helper runs iptables as root with NET_ADMIN; the others as nobody.
    User: firewall ? '0:0' : NOBODY,
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...options.labels, [LABELS.egress]: options.role },
    AttachStdin: options.tieStdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: options.tieStdin,
    StdinOnce: options.tieStdin,
    Tty: false,
    HostConfig: {
      AutoRemove: !firewall,
      Runtime: options.runtime,
      NetworkMode: options.networkMode,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,noexec,nosuid,nodev,size=4m' },
      Mounts: [],
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      NanoCpus: 1_000_000_000,
      // gVisor counts its own threads against the pids limit (docs/engine.md).
      PidsLimit: options.runtime.startsWith('runsc') ? 128 : 32,
      CapDrop: ['ALL'],
      CapAdd: firewall ? ['NET_ADMIN'] : [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: false,
    },
  };
}

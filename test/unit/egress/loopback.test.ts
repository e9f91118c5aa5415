import { parseAllow } from '../../../src/egress/allow.js';
import { helperRelayConfig, loopbackAddress, loopbackBodies, loopbackEgressOn, loopbackServes, proxyRelayConfig } from '../../../src/egress/loopback.js';
import { planEgress } from '../../../src/egress/plan.js';

function plan(...raw: string[]): ReturnType<typeof planEgress> {
  const parsed = parseAllow(raw);
  if (parsed.problems.length > 0) throw new Error('bad entries');
  return planEgress(parsed.entries);
}

describe('loopback egress prototype', () => {
  test('off unless MCP_SANDBOX_EGRESS_LOOPBACK=1', () => {
    expect(loopbackEgressOn({})).toBe(false);
    expect(loopbackEgressOn({ MCP_SANDBOX_EGRESS_LOOPBACK: '1' })).toBe(true);
  });

  test('virtual addresses move to 127.18.0.0/24; listed addresses are not served', () => {
    expect(loopbackAddress('198.18.0.2')).toBe('127.18.0.2');
    expect(loopbackServes(plan('api.example.test:443', 'db.example.test:5432/tcp'))).toBe(true);
    expect(loopbackServes(plan('10.1.2.3:6379/tcp'))).toBe(false);
  });

  test('each loopback listener goes to the unix socket of its proxy listener, and on to the proxy', () => {
    const p = plan('api.example.test:443', 'db.example.test:5432/tcp');
    const helper = helperRelayConfig(p);
    expect(helper).toContain('bind 127.18.0.1:443\n  server proxy unix@/egress-sockets/10000.sock');
    expect(helper).toContain('bind 127.18.0.2:5432\n  server proxy unix@/egress-sockets/10001.sock');
    expect(helper).toContain('noreuseport');
    const relay = proxyRelayConfig(p);
    expect(relay).toContain('bind unix@/egress-sockets/10000.sock mode 600\n  server proxy 127.0.0.1:10000');
  });

  test('bodies: the helper joins the server, the proxy listens on loopback only, the relay joins the proxy', () => {
    const b = loopbackBodies({ plan: plan('api.example.test:443'), sessionId: 's1', server: 'mcp-sandbox-s1' }, '/tmp/x/sockets');
    expect(b.helper.HostConfig.NetworkMode).toBe('container:mcp-sandbox-s1');
    expect(b.helper.HostConfig.Runtime).toBe('runc');
    expect(b.helper.HostConfig.CapAdd).toEqual(['NET_BIND_SERVICE', 'SETUID', 'SETGID', 'SETPCAP']);
    expect(b.helper.Env.find((e) => e.startsWith('LOOP_DNS='))).toMatch(/host-record=api\.example\.test,127\.18\.0\.1\n[\s\S]*/);
    expect(b.helper.Env.find((e) => e.startsWith('LOOP_DNS='))).toMatch(/^port=53$/m);
    expect(b.proxy.HostConfig.NetworkMode).toBe('bridge');
    expect(b.proxy.Env.find((e) => e.startsWith('EGRESS_CONFIG='))).toContain('bind 127.0.0.1:10000');
    expect(b.relay.HostConfig.NetworkMode).toBe('container:mcp-sandbox-egress-s1-proxy');
    expect(b.relay.HostConfig.CapAdd).toEqual([]);
    expect(b.relay.HostConfig.Mounts).toEqual([{ Type: 'bind', Source: '/tmp/x/sockets', Target: '/egress-sockets', ReadOnly: false }]);
  });
});

docker network create --internal --subnet 198.19.0.0/28 --ip-range 198.19.0.8/29 --gateway 198.19.0.1 --label mcp-sandbox.egress-session=postgres --label mcp-sandbox.egress=network mcp-sandbox-egress-postgres
docker run -d --name mcp-sandbox-egress-postgres-dns --runtime runc --network mcp-sandbox-egress-postgres --read-only --user 0:0 --cap-drop ALL --cap-add NET_ADMIN --cap-add SETGID --cap-add SETUID --cap-add SETPCAP --security-opt no-new-privileges --tmpfs /tmp:rw,noexec,nosuid,nodev,size=4m --memory 67108864 --memory-swap 67108864 --pids-limit 64 --rm --label mcp-sandbox.egress-session=postgres --label mcp-sandbox.egress=dns -e 'EGRESS_CONFIG=no-resolv
no-hosts
no-poll
pid-file=
user=
listen-address=127.0.0.11
bind-interfaces
port=5353
log-queries
log-facility=-
host-record=db.example.com,198.18.0.2
address=/#/
' -e 'EGRESS_CONNECT_CONFIG=Port 3128
Listen 127.0.0.11
Allow 127.0.0.0/8
Timeout 600
MaxClients 32
DisableViaHeader Yes
XTinyproxy No
Filter "/tmp/egress-connect.filter"
FilterType fnmatch
FilterDefaultDeny Yes
FilterCaseSensitive No
ConnectPort 5432
LogLevel Connect
' -e 'EGRESS_CONNECT_FILTER=db.example.com
' -e 'EGRESS_RULES4=*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A OUTPUT -d 127.0.0.11/32 -p udp --dport 53 -j DNAT --to-destination 127.0.0.11:5353
-A OUTPUT -d 127.0.0.11/32 -p tcp --dport 53 -j DNAT --to-destination 127.0.0.11:5353
-A OUTPUT -d 198.18.0.2/32 -p tcp --dport 5432 -j DNAT --to-destination 198.19.0.2:10000
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A OUTPUT -o lo -d 127.0.0.11/32 -p udp --dport 5353 -j ACCEPT
-A OUTPUT -o lo -d 127.0.0.11/32 -p tcp --dport 5353 -j ACCEPT
-A OUTPUT -o lo -d 127.0.0.11/32 -p tcp --dport 3128 -j ACCEPT
-A OUTPUT -o lo -d 127.0.0.11/32 -j DROP
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A OUTPUT -d 198.19.0.2/32 -p tcp --dport 10000 -m conntrack --ctstate DNAT -j ACCEPT
COMMIT
' -e 'EGRESS_RULES6=*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
COMMIT
' -e EGRESS_ROUTES=198.18.0.0/24 mcp-sandbox/egress:local /egress/entry.sh dns
docker create --ip 198.19.0.2 --name mcp-sandbox-egress-postgres-proxy --runtime runsc-net --network mcp-sandbox-egress-postgres --read-only --user 65534:65534 --cap-drop ALL --security-opt no-new-privileges --tmpfs /tmp:rw,noexec,nosuid,nodev,size=4m --memory 67108864 --memory-swap 67108864 --pids-limit 128 --rm --label mcp-sandbox.egress-session=postgres --label mcp-sandbox.egress=proxy -e 'EGRESS_CONFIG=global
  log stdout format raw local0
  maxconn 1024
  nbthread 1
resolvers upstream
  parse-resolv-conf
  accepted_payload_size 1232
  resolve_retries 2
  timeout resolve 1s
  timeout retry 1s
  hold valid 10s
  hold nx 2s
defaults
  log global
  timeout connect 10s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  timeout http-request 30s
  log-format '\''{"event":"connection","name":"%[var(sess.name),json(utf8s)]","port":%[var(sess.port)],"upstream":"%si:%sp","verdict":"%[var(sess.verdict)]","bytesOut":%U,"bytesIn":%B,"durationMs":%Tt,"termination":"%ts","startMs":%Ts%ms}'\''
backend upstream_tcp
  mode tcp
  server upstream 0.0.0.0:0
backend upstream_http
  mode http
  http-reuse never
  server upstream 0.0.0.0:0
frontend listen_10000
  bind :10000
  mode tcp
  tcp-request inspect-delay 10s
  tcp-request content set-var(sess.port) int(5432)
  tcp-request content set-var(sess.verdict) str(allowed)
  tcp-request content set-var(sess.name) str(db.example.com)
  tcp-request content do-resolve(sess.dst,upstream,ipv4) var(sess.name) if !{ var(sess.mapped) -m found }
  tcp-request content set-var(sess.verdict) str(refused-unresolved) if !{ var(sess.mapped) -m found } !{ var(sess.dst) -m found }
  tcp-request content reject if !{ var(sess.mapped) -m found } !{ var(sess.dst) -m found }
  tcp-request content set-var(sess.verdict) str(refused-private) if !{ var(sess.mapped) -m found } { var(sess.dst) -m ip 0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/4 240.0.0.0/4 }
  tcp-request content reject if !{ var(sess.mapped) -m found } { var(sess.dst) -m ip 0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/4 240.0.0.0/4 }
  tcp-request content set-dst var(sess.mapped) if { var(sess.mapped) -m found }
  tcp-request content set-dst var(sess.dst) if !{ var(sess.mapped) -m found }
  tcp-request content set-dst-port int(5432)
  default_backend upstream_tcp
' mcp-sandbox/egress:local /egress/entry.sh proxy
docker network connect bridge mcp-sandbox-egress-postgres-proxy
docker start mcp-sandbox-egress-postgres-proxy
docker run --rm -i --pull=never --runtime=runsc --network=container:mcp-sandbox-egress-postgres-dns --read-only --tmpfs=/tmp:rw,noexec,nosuid,nodev,size=64m --memory=256m --memory-swap=256m --cpus=1 --pids-limit=512 --cap-drop=ALL --security-opt=no-new-privileges --init --user=10001:10001 --env=HTTPS_PROXY=http://127.0.0.11:3128 --env=https_proxy=http://127.0.0.11:3128 --env=HTTP_PROXY=http://127.0.0.11:3128 --env=http_proxy=http://127.0.0.11:3128 --env=NO_PROXY=localhost,127.0.0.1,::1 --env=no_proxy=localhost,127.0.0.1,::1 --env=POSTGRES_URL --label=mcp-sandbox.profile=postgres mcp-sandbox/postgres:0.6.2 sh -c 'exec node /app/node_modules/@modelcontextprotocol/server-postgres/dist/index.js "$POSTGRES_URL"'
# afterwards: docker rm -f mcp-sandbox-egress-postgres-dns mcp-sandbox-egress-postgres-proxy && docker network rm mcp-sandbox-egress-postgres

#!/bin/sh
# Entrypoint of mcp-sandbox/egress (docs/egress.md). One role per container:
#   entry.sh dns       the holder of the sandbox's network namespace: as root with NET_ADMIN
#                      (SETUID, SETGID, SETPCAP to give everything up) it puts the routes in
#                      $EGRESS_ROUTES on eth0 and loads $EGRESS_RULES4 / $EGRESS_RULES6 with
#                      iptables-restore, then drops to nobody with no capability left in any set
#                      (setpriv) and runs tinyproxy with $EGRESS_CONNECT_CONFIG and the filter
#                      $EGRESS_CONNECT_FILTER (CONNECT for HTTPS_PROXY clients), then dnsmasq
#                      with the config in $EGRESS_CONFIG (the sandbox's only resolver). Nothing
#                      joins the namespace before dnsmasq runs.
#   entry.sh proxy     haproxy with the config in $EGRESS_CONFIG (forwards by SNI, Host, port)
# With EGRESS_TIE_STDIN=1 a long-running role ends when its stdin reaches EOF: the launcher
# keeps stdin attached, so the container (AutoRemove) goes when the launcher does, SIGKILL too.
set -eu
role=${1:-}
conf=/tmp/egress.conf

serve() { # COMMAND...: run it; with EGRESS_TIE_STDIN=1 stop it at stdin EOF
  "$@" &
  child=$!
  trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
  if [ "${EGRESS_TIE_STDIN:-}" = 1 ]; then
    # An asynchronous list's stdin is /dev/null: keep ours on fd 3 and hand it over.
    exec 3<&0
    (cat <&3 >/dev/null; kill "$child" 2>/dev/null) &
  fi
  wait "$child"
}

case $role in
dns)
  if [ -n "${EGRESS_RULES4:-}" ]; then
    for cidr in ${EGRESS_ROUTES:-}; do ip route replace "$cidr" dev eth0; done
    printf '%s\n' "$EGRESS_RULES4" | iptables-restore
    printf '%s\n' "$EGRESS_RULES6" | ip6tables-restore
    # On stderr, the stream dnsmasq logs to (the launcher waits for both lines).
    echo "egress firewall set" >&2
    unset EGRESS_RULES4 EGRESS_RULES6 EGRESS_ROUTES
    # nobody, no groups, and every capability set emptied (bounding and ambient too): nothing
    # that runs from here on can change the rules or regain a capability.
    # The full path: busybox sh prefers its own setpriv applet, which cannot change ids.
    exec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- /egress/entry.sh dns
  fi
  if [ -n "${EGRESS_CONNECT_CONFIG:-}" ]; then
    printf '%s' "$EGRESS_CONNECT_FILTER" >/tmp/egress-connect.filter
    printf '%s' "$EGRESS_CONNECT_CONFIG" >/tmp/egress-connect.conf
    # Ends with the container: pid 1 (this shell) exits when dnsmasq does.
    tinyproxy -d -c /tmp/egress-connect.conf </dev/null &
  fi
  printf '%s\n' "$EGRESS_CONFIG" >"$conf"
  serve dnsmasq --keep-in-foreground --conf-file="$conf"
  ;;
proxy)
  printf '%s\n' "$EGRESS_CONFIG" >"$conf"
  # Master-worker: the master prints "Loading success." once the worker listens (readiness).
  serve haproxy -W -db -f "$conf"
  ;;
*)
  echo "usage: entry.sh dns|proxy" >&2
  exit 64
  ;;
esac

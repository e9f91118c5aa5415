#!/bin/sh
# Entrypoint of mcp-sandbox/egress (docs/egress.md). One role per container:
#   entry.sh dns       dnsmasq with the config in $EGRESS_CONFIG (the sandbox's only resolver)
#   entry.sh proxy     haproxy with the config in $EGRESS_CONFIG (forwards by SNI, Host, port)
#   entry.sh firewall  iptables-restore of $EGRESS_RULES4 / $EGRESS_RULES6, routes in
#                      $EGRESS_ROUTES (CIDRs put on eth0), then exits
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
  printf '%s\n' "$EGRESS_CONFIG" >"$conf"
  serve dnsmasq --keep-in-foreground --conf-file="$conf"
  ;;
proxy)
  printf '%s\n' "$EGRESS_CONFIG" >"$conf"
  # Master-worker: the master prints "Loading success." once the worker listens (readiness).
  serve haproxy -W -db -f "$conf"
  ;;
firewall)
  for cidr in ${EGRESS_ROUTES:-}; do ip route replace "$cidr" dev eth0; done
  printf '%s\n' "$EGRESS_RULES4" | iptables-restore
  printf '%s\n' "$EGRESS_RULES6" | ip6tables-restore
  echo "egress firewall set"
  ;;
*)
  echo "usage: entry.sh dns|proxy|firewall" >&2
  exit 64
  ;;
esac

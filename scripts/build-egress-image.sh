#!/usr/bin/env bash
# Build, offline, the image of the egress allowlist's helper containers (docs/egress.md):
#
#   mcp-sandbox/egress:local   busybox-static, dnsmasq (names), haproxy (forwarding by SNI,
#                              Host and port), iptables-nft (the sandbox firewall) and
#                              util-linux's setpriv (the holder's capability drop) and
#                              tinyproxy (CONNECT for HTTPS_PROXY clients), each
#                              with the libraries ldd lists, from Debian's packages; plus the
#                              entrypoints in images/egress/.
#
# The packages are installed on the host with apt-get when missing (CI starts bare); nothing
# is pulled from a registry: the root filesystem is assembled here and loaded with
# `docker import`. The image carries mcp-sandbox.content-hash; an image with the same hash is
# kept (MCP_SANDBOX_REBUILD=1 forces a rebuild). Prints the image name on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOTFS_PROG=build-egress-image
# shellcheck source=scripts/lib/rootfs.sh
source "$ROOT/scripts/lib/rootfs.sh"
IMAGE=${MCP_SANDBOX_EGRESS_IMAGE:-mcp-sandbox/egress:local}
PACKAGES=(haproxy dnsmasq-base iptables util-linux tinyproxy busybox-static)
BINARIES=(/usr/sbin/haproxy /usr/sbin/dnsmasq /usr/sbin/xtables-nft-multi /usr/bin/setpriv /usr/bin/tinyproxy)
LAYOUT_VERSION=1

require_engine_root
missing=()
for pkg in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg"); done
if ((${#missing[@]})); then
  say "installing ${missing[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; } ||
    die "apt-get install ${missing[*]} failed"
fi
require_busybox
XTABLES_DIR=$(dirname "$(dpkg -L iptables | grep -m1 '/xtables/libxt_conntrack.so$')")
[[ -d $XTABLES_DIR ]] || die "iptables extensions not found"

mapfile -t EXTENSIONS < <(find "$XTABLES_DIR" -name '*.so' | sort)
mapfile -t LIBS < <(libs_of "${BINARIES[@]}" "${EXTENSIONS[@]}")
hash=$(
  {
    echo "layout=$LAYOUT_VERSION"
    cat "${BASH_SOURCE[0]}" "$ROOTFS_LIB" "$ROOT"/images/egress/*
    for f in "$BUSYBOX" "${BINARIES[@]}" "${EXTENSIONS[@]}" "${LIBS[@]}"; do echo "$f $(sha "$f")"; done
  } | sha
)
if [[ -z ${MCP_SANDBOX_REBUILD:-} && $(existing_hash "$IMAGE") == "$hash" ]]; then
  say "$IMAGE up to date (${hash:0:12})"
else
  stage_begin egress
  rootfs=$STAGE/rootfs
  stage_base "$rootfs" /nonexistent
  for f in "${BINARIES[@]}" "${EXTENSIONS[@]}" "${LIBS[@]}"; do copy_file "$rootfs" "$f"; done
  for tool in iptables ip6tables iptables-restore ip6tables-restore; do ln -sf xtables-nft-multi "$rootfs/usr/sbin/$tool"; done
  mkdir -p "$rootfs/egress" "$rootfs/var/lib/misc"
  cp "$ROOT"/images/egress/* "$rootfs/egress/"
  chmod 755 "$rootfs"/egress/*.sh
  own_rootfs "$rootfs"
  import_image "$rootfs" "$IMAGE" "$hash" "mcp-sandbox egress helper"
  stage_end
  say "$IMAGE built (${hash:0:12})"
fi
echo "$IMAGE"

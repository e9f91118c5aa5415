#!/usr/bin/env bash
# Build, offline, the local images the engine tests use. Nothing is pulled: each image is a
# root filesystem assembled on the host and loaded with `docker import`.
#
#   mcp-sandbox-test/node:local     host node + the libraries ldd lists, busybox-static (sh,
#                                   cat, ls, id, ...), /etc/passwd with root and app (10001),
#                                   /tmp, /workspace, and /app/node_modules holding
#                                   @modelcontextprotocol/server-{everything,filesystem,memory}
#                                   with their production dependency closure (from the
#                                   project's node_modules, as pinned by package-lock.json).
#   mcp-sandbox-test/busybox:local  busybox only, for cheap engine probes.
#
# Each image carries the label mcp-sandbox.content-hash, a hash of everything that goes into
# it; when the existing image has the same hash the build is skipped (the CI fast path).
# MCP_SANDBOX_REBUILD=1 forces a rebuild. Prints the image names on stdout at the end.
#
# Inside the node image:
#   node /app/node_modules/@modelcontextprotocol/server-everything/dist/index.js stdio
#   node /app/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js /workspace
#   MEMORY_FILE_PATH=/tmp/memory.jsonl \
#     node /app/node_modules/@modelcontextprotocol/server-memory/dist/index.js
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_IMAGE=${MCP_SANDBOX_TEST_NODE_IMAGE:-mcp-sandbox-test/node:local}
BUSYBOX_IMAGE=${MCP_SANDBOX_TEST_BUSYBOX_IMAGE:-mcp-sandbox-test/busybox:local}
LABEL=mcp-sandbox.content-hash
SERVERS=(
  @modelcontextprotocol/server-everything
  @modelcontextprotocol/server-filesystem
  @modelcontextprotocol/server-memory
)
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Bump to force a rebuild when the layout below changes in a way the inputs do not show.
LAYOUT_VERSION=1

die() { echo "build-test-images: $*" >&2; exit 1; }
say() { echo "build-test-images: $*" >&2; }

command -v docker >/dev/null || die "docker not found (run scripts/engine-up.sh)"
timeout 20 docker info >/dev/null 2>&1 || die "docker engine not reachable (run scripts/engine-up.sh)"
[[ $(id -u) -eq 0 ]] || die "must run as root (file ownership in the image)"

NODE_BIN=$(command -v node) || die "node not found"
NODE_BIN=$(readlink -f "$NODE_BIN")
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || die "$BUSYBOX missing (apt-get install busybox-static)"
# A dynamically linked busybox would need its libraries too; insist on the static one.
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is not static (install busybox-static)"; fi

# Libraries the loader needs for node, as ldd lists them (absolute paths, vdso excluded).
mapfile -t NODE_LIBS < <(ldd "$NODE_BIN" | awk '
  $2 == "=>" && $3 ~ /^\// { print $3; next }
  $1 ~ /^\// { print $1 }' | sort -u)
((${#NODE_LIBS[@]})) || die "ldd found no libraries for $NODE_BIN"

sha() { sha256sum "$@" | awk '{print $1}'; }
SELF_HASH=$(cat "${BASH_SOURCE[0]}" "$ROOT/scripts/lib/stage-node-modules.mjs" | sha)
BUSYBOX_HASH=$(sha "$BUSYBOX")

existing_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}

STAGE=""
cleanup() { if [[ -n $STAGE && -d $STAGE ]]; then rm -rf "$STAGE"; fi; }
trap cleanup EXIT

# Common base: busybox with its applets, users, /tmp.
stage_base() { # DIR
  local d=$1 applet
  mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home/app,workspace,proc,sys,dev}
  chmod 1777 "$d/tmp"
  chmod 700 "$d/root"
  cp "$BUSYBOX" "$d/bin/busybox"
  while read -r applet; do
    [[ -n $applet && $applet != bin/busybox && ! -e $d/$applet ]] || continue
    mkdir -p "$d/$(dirname "$applet")"
    ln -s /bin/busybox "$d/$applet"
  done < <("$BUSYBOX" --list-full)
  cat >"$d/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:10001:10001:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$d/etc/group" <<'EOF'
root:x:0:
app:x:10001:
nogroup:x:65534:
EOF
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$d/etc/nsswitch.conf"
  chown -R 0:0 "$d"
  chown 10001:10001 "$d/home/app"
}

import_image() { # DIR IMAGE HASH
  local d=$1 image=$2 hash=$3 old new
  old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  new=$(tar -C "$d" --numeric-owner -cf - . |
    docker import \
      -c "ENV PATH=$IMAGE_PATH" \
      -c 'WORKDIR /app' \
      -c "LABEL $LABEL=$hash" \
      -m "mcp-sandbox test image ($hash)" \
      - "$image") || die "docker import of $image failed"
  # Drop the image this one replaced, if nothing uses it any more.
  if [[ -n $old && $old != "$new" ]]; then docker image rm "$old" >/dev/null 2>&1 || true; fi
}

# ---------------------------------------------------------------------------------------------
# busybox image
# ---------------------------------------------------------------------------------------------
bb_hash=$(printf '%s\n' "layout=$LAYOUT_VERSION" "self=$SELF_HASH" "busybox=$BUSYBOX_HASH" "path=$IMAGE_PATH" | sha)
if [[ -z ${MCP_SANDBOX_REBUILD:-} && $(existing_hash "$BUSYBOX_IMAGE") == "$bb_hash" ]]; then
  bb_state="up to date"
else
  STAGE=$(mktemp -d /tmp/mcp-sandbox-image.XXXXXX)
  stage_base "$STAGE/rootfs"
  import_image "$STAGE/rootfs" "$BUSYBOX_IMAGE" "$bb_hash"
  cleanup
  STAGE=""
  bb_state="built"
fi
say "$BUSYBOX_IMAGE ${bb_state} (${bb_hash:0:12})"

# ---------------------------------------------------------------------------------------------
# node image
# ---------------------------------------------------------------------------------------------
LOCK=$ROOT/package-lock.json
MODULES=$ROOT/node_modules
[[ -f $LOCK ]] || die "$LOCK missing"
closure_hash=$(node "$ROOT/scripts/lib/stage-node-modules.mjs" --lock "$LOCK" --print-hash "${SERVERS[@]}") ||
  die "could not compute the server dependency closure from $LOCK"
node_hash=$(
  {
    echo "layout=$LAYOUT_VERSION"
    echo "self=$SELF_HASH"
    echo "busybox=$BUSYBOX_HASH"
    echo "path=$IMAGE_PATH"
    echo "closure=$closure_hash"
    echo "node=$NODE_BIN $(sha "$NODE_BIN")"
    for lib in "${NODE_LIBS[@]}"; do echo "lib=$lib $(sha "$lib")"; done
  } | sha
)
if [[ -z ${MCP_SANDBOX_REBUILD:-} && $(existing_hash "$NODE_IMAGE") == "$node_hash" ]]; then
  node_state="up to date"
else
  [[ -d $MODULES ]] || die "$MODULES missing: run npm ci first"
  STAGE=$(mktemp -d /tmp/mcp-sandbox-image.XXXXXX)
  rootfs=$STAGE/rootfs
  stage_base "$rootfs"
  mkdir -p "$rootfs/$(dirname "$NODE_BIN")" "$rootfs/app"
  cp "$NODE_BIN" "$rootfs/$NODE_BIN"
  [[ -e $rootfs/usr/bin/node ]] || ln -s "$NODE_BIN" "$rootfs/usr/bin/node"
  for lib in "${NODE_LIBS[@]}"; do
    mkdir -p "$rootfs/$(dirname "$lib")"
    cp -L "$lib" "$rootfs/$lib" # keep the path ldd printed, with the real file's content
  done
  node "$ROOT/scripts/lib/stage-node-modules.mjs" --lock "$LOCK" --from "$MODULES" \
    --to "$rootfs/app/node_modules" "${SERVERS[@]}" 2>/dev/null ||
    die "staging node_modules failed: run npm ci (node_modules must match package-lock.json)"
  printf '{ "name": "mcp-sandbox-test", "private": true }\n' >"$rootfs/app/package.json"
  chown -R 0:0 "$rootfs/app" "$rootfs/usr" "$rootfs/lib"* 2>/dev/null || true
  import_image "$rootfs" "$NODE_IMAGE" "$node_hash"
  cleanup
  STAGE=""
  node_state="built"
fi
say "$NODE_IMAGE ${node_state} (${node_hash:0:12})"

echo "$NODE_IMAGE"
echo "$BUSYBOX_IMAGE"

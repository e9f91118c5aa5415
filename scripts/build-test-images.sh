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
ROOTFS_PROG=build-test-images
# shellcheck source=scripts/lib/rootfs.sh
source "$ROOT/scripts/lib/rootfs.sh"
NODE_IMAGE=${MCP_SANDBOX_TEST_NODE_IMAGE:-mcp-sandbox-test/node:local}
BUSYBOX_IMAGE=${MCP_SANDBOX_TEST_BUSYBOX_IMAGE:-mcp-sandbox-test/busybox:local}
SERVERS=(
  @modelcontextprotocol/server-everything
  @modelcontextprotocol/server-filesystem
  @modelcontextprotocol/server-memory
)
# Bump to force a rebuild when the layout below changes in a way the inputs do not show.
LAYOUT_VERSION=1

require_engine_root
NODE_BIN=$(command -v node) || die "node not found"
NODE_BIN=$(readlink -f "$NODE_BIN")
require_busybox

mapfile -t NODE_LIBS < <(libs_of "$NODE_BIN")
((${#NODE_LIBS[@]})) || die "ldd found no libraries for $NODE_BIN"

SELF_HASH=$(cat "${BASH_SOURCE[0]}" "$ROOTFS_LIB" "$ROOT/scripts/lib/stage-node-modules.mjs" | sha)
BUSYBOX_HASH=$(sha "$BUSYBOX")

# Common base of both images: app's home is /home/app (owned by app), and /workspace.
stage_test_base() { stage_base "$1" /home/app workspace; }
import_test_image() { # DIR IMAGE HASH
  own_rootfs "$1" home/app
  import_image "$1" "$2" "$3" "mcp-sandbox test image" 'WORKDIR /app'
}

# ---------------------------------------------------------------------------------------------
# busybox image
# ---------------------------------------------------------------------------------------------
bb_hash=$(printf '%s\n' "layout=$LAYOUT_VERSION" "self=$SELF_HASH" "busybox=$BUSYBOX_HASH" "path=$IMAGE_PATH" | sha)
if [[ -z ${MCP_SANDBOX_REBUILD:-} && $(existing_hash "$BUSYBOX_IMAGE") == "$bb_hash" ]]; then
  bb_state="up to date"
else
  stage_begin image
  stage_test_base "$STAGE/rootfs"
  import_test_image "$STAGE/rootfs" "$BUSYBOX_IMAGE" "$bb_hash"
  stage_end
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
  stage_begin image
  rootfs=$STAGE/rootfs
  stage_test_base "$rootfs"
  mkdir -p "$rootfs/app"
  copy_file "$rootfs" "$NODE_BIN"
  [[ -e $rootfs/usr/bin/node ]] || ln -s "$NODE_BIN" "$rootfs/usr/bin/node"
  for lib in "${NODE_LIBS[@]}"; do copy_file "$rootfs" "$lib"; done
  node "$ROOT/scripts/lib/stage-node-modules.mjs" --lock "$LOCK" --from "$MODULES" \
    --to "$rootfs/app/node_modules" "${SERVERS[@]}" 2>/dev/null ||
    die "staging node_modules failed: run npm ci (node_modules must match package-lock.json)"
  printf '{ "name": "mcp-sandbox-test", "private": true }\n' >"$rootfs/app/package.json"
  import_test_image "$rootfs" "$NODE_IMAGE" "$node_hash"
  stage_end
  node_state="built"
fi
say "$NODE_IMAGE ${node_state} (${node_hash:0:12})"

echo "$NODE_IMAGE"
echo "$BUSYBOX_IMAGE"
# The egress allowlist's helper image (test/engine/egress.test.ts; prints its name too).
bash "$ROOT/scripts/build-egress-image.sh"

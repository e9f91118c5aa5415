#!/usr/bin/env bash
# Local stand-ins for the pinned BASE images of images/node and images/python, for machines
# that reach no registry (this project's CI). Each is a root filesystem assembled on the host
# and loaded with `docker import`, like scripts/build-test-images.sh, but with no server in it:
# `mcp-sandbox build --base-image <one of these>` adds the server exactly as it would on top of
# node:20-bookworm-slim / python:3.12-slim.
#
#   mcp-sandbox-test/node-base:local     host node + the libraries ldd lists + busybox (sh)
#   mcp-sandbox-test/python-base:local   host python3 + its stdlib (no tests, no tkinter/idle)
#                                        + the libraries of python and its extension modules
#                                        + busybox
#
# Both: /etc/passwd with root and app (10001), /tmp 1777, PATH like the official images.
# Label mcp-sandbox.content-hash; an unchanged hash skips the import (about 0.5 s).
# MCP_SANDBOX_REBUILD=1 forces it. Prints the image names on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOTFS_PROG=build-local-bases
# shellcheck source=scripts/lib/rootfs.sh
source "$ROOT/scripts/lib/rootfs.sh"
NODE_BASE=${MCP_SANDBOX_LOCAL_NODE_BASE:-mcp-sandbox-test/node-base:local}
PYTHON_BASE=${MCP_SANDBOX_LOCAL_PYTHON_BASE:-mcp-sandbox-test/python-base:local}
LAYOUT_VERSION=1
only=${1:-all} # node | python | all

require_engine_root
require_busybox

SELF_HASH=$(cat "${BASH_SOURCE[0]}" "$ROOTFS_LIB" | sha)

# Base of both images: app's home is /tmp (no directory of its own), and
# /usr/local/bin for the interpreter links.
stage_local_base() { stage_base "$1" /tmp usr/local/bin; }
import_local_base() { # DIR IMAGE HASH
  own_rootfs "$1"
  import_image "$1" "$2" "$3" "mcp-sandbox local base"
}

build_node() {
  local node libs hash rootfs lib
  node=$(readlink -f "$(command -v node)") || die "node not found"
  mapfile -t libs < <(libs_of "$node")
  hash=$({
    echo "layout=$LAYOUT_VERSION self=$SELF_HASH busybox=$(sha "$BUSYBOX") path=$IMAGE_PATH"
    echo "node=$node $(sha "$node")"
    for lib in "${libs[@]}"; do echo "lib=$lib $(sha "$lib")"; done
  } | sha)
  if [[ -z ${MCP_SANDBOX_REBUILD:-} && $(existing_hash "$NODE_BASE") == "$hash" ]]; then
    say "$NODE_BASE up to date (${hash:0:12})"
    return
  fi
  stage_begin base
  rootfs=$STAGE/rootfs
  stage_local_base "$rootfs"
  copy_file "$rootfs" "$node"
  [[ -e $rootfs/usr/local/bin/node ]] || ln -s "$node" "$rootfs/usr/local/bin/node"
  for lib in "${libs[@]}"; do copy_file "$rootfs" "$lib"; done
  import_local_base "$rootfs" "$NODE_BASE" "$hash"
  stage_end
  say "$NODE_BASE built (${hash:0:12})"
}

build_python() {
  local py stdlib dynload libs hash rootfs lib
  py=$(readlink -f /usr/bin/python3 2>/dev/null || true)
  [[ -x $py ]] || py=$(readlink -f "$(command -v python3)") || die "python3 not found (apt-get install python3)"
  stdlib=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  dynload=$("$py" -c 'import _json, os; print(os.path.dirname(_json.__file__))' 2>/dev/null || echo "$stdlib/lib-dynload")
  mapfile -t libs < <(libs_of "$py" "$dynload"/*.so)
  hash=$({
    echo "layout=$LAYOUT_VERSION self=$SELF_HASH busybox=$(sha "$BUSYBOX") path=$IMAGE_PATH"
    echo "python=$py $(sha "$py") stdlib=$stdlib dynload=$dynload"
    # The stdlib's file list and sizes stand for its content (hashing 50 MB each run is slow).
    find "$stdlib" "$dynload" -type f -printf '%P %s\n' 2>/dev/null | sort | sha
    for lib in "${libs[@]}"; do echo "lib=$lib $(sha "$lib")"; done
  } | sha)
  if [[ -z ${MCP_SANDBOX_REBUILD:-} && $(existing_hash "$PYTHON_BASE") == "$hash" ]]; then
    say "$PYTHON_BASE up to date (${hash:0:12})"
    return
  fi
  stage_begin base
  rootfs=$STAGE/rootfs
  stage_local_base "$rootfs"
  copy_file "$rootfs" "$py"
  ln -sf "$py" "$rootfs/usr/local/bin/python3"
  ln -sf "$py" "$rootfs/usr/local/bin/python"
  mkdir -p "$rootfs/$stdlib"
  tar -C "$stdlib" --exclude=./test --exclude=./idlelib --exclude=./tkinter --exclude=./turtledemo \
    --exclude=./ensurepip --exclude=./lib2to3/tests --exclude='__pycache__' --exclude=./site-packages \
    --exclude=./dist-packages -cf - . | tar -C "$rootfs/$stdlib" -xf -
  if [[ $dynload != "$stdlib"/* ]]; then mkdir -p "$rootfs/$dynload" && cp -a "$dynload"/. "$rootfs/$dynload/"; fi
  rm -f "$rootfs/$dynload"/_test*.so "$rootfs/$dynload"/_xxtest*.so
  for lib in "${libs[@]}"; do copy_file "$rootfs" "$lib"; done
  import_local_base "$rootfs" "$PYTHON_BASE" "$hash"
  stage_end
  say "$PYTHON_BASE built (${hash:0:12})"
}

case $only in
  node) build_node; echo "$NODE_BASE" ;;
  python) build_python; echo "$PYTHON_BASE" ;;
  all) build_node; build_python; echo "$NODE_BASE"; echo "$PYTHON_BASE" ;;
  *) die "usage: $0 [node|python|all]" ;;
esac

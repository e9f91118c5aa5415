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
NODE_BASE=${MCP_SANDBOX_LOCAL_NODE_BASE:-mcp-sandbox-test/node-base:local}
PYTHON_BASE=${MCP_SANDBOX_LOCAL_PYTHON_BASE:-mcp-sandbox-test/python-base:local}
LABEL=mcp-sandbox.content-hash
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LAYOUT_VERSION=1
only=${1:-all} # node | python | all

die() { echo "build-local-bases: $*" >&2; exit 1; }
say() { echo "build-local-bases: $*" >&2; }

command -v docker >/dev/null || die "docker not found (run scripts/engine-up.sh)"
timeout 20 docker info >/dev/null 2>&1 || die "docker engine not reachable (run scripts/engine-up.sh)"
[[ $(id -u) -eq 0 ]] || die "must run as root (file ownership in the image)"
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || die "$BUSYBOX missing (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is not static (install busybox-static)"; fi

sha() { sha256sum "$@" | awk '{print $1}'; }
SELF_HASH=$(sha "${BASH_SOURCE[0]}")
existing_hash() { docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }
libs_of() { # FILE... -> absolute library paths ldd lists
  ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u
}

STAGE=""
cleanup() { if [[ -n $STAGE && -d $STAGE ]]; then rm -rf "$STAGE"; fi; }
trap cleanup EXIT

stage_base() { # DIR
  local d=$1 applet
  mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,root,proc,sys,dev}
  chmod 1777 "$d/tmp"
  chmod 700 "$d/root"
  cp "$BUSYBOX" "$d/bin/busybox"
  while read -r applet; do
    [[ -n $applet && $applet != bin/busybox && ! -e $d/$applet ]] || continue
    mkdir -p "$d/$(dirname "$applet")"
    ln -s /bin/busybox "$d/$applet"
  done < <("$BUSYBOX" --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$d/etc/passwd"
  printf 'root:x:0:\napp:x:10001:\nnogroup:x:65534:\n' >"$d/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$d/etc/nsswitch.conf"
}

copy_file() { # ROOTFS FILE: copy keeping the path (content of the real file)
  mkdir -p "$1/$(dirname "$2")"
  cp -L "$2" "$1/$2"
}

import_image() { # DIR IMAGE HASH
  local d=$1 image=$2 hash=$3 old new
  chown -R 0:0 "$d"
  old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  new=$(tar -C "$d" --numeric-owner -cf - . |
    docker import -c "ENV PATH=$IMAGE_PATH" -c "LABEL $LABEL=$hash" -m "mcp-sandbox local base ($hash)" - "$image") ||
    die "docker import of $image failed"
  if [[ -n $old && $old != "$new" ]]; then docker image rm "$old" >/dev/null 2>&1 || true; fi
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
  STAGE=$(mktemp -d /tmp/mcp-sandbox-base.XXXXXX)
  rootfs=$STAGE/rootfs
  stage_base "$rootfs"
  copy_file "$rootfs" "$node"
  [[ -e $rootfs/usr/local/bin/node ]] || ln -s "$node" "$rootfs/usr/local/bin/node"
  for lib in "${libs[@]}"; do copy_file "$rootfs" "$lib"; done
  import_image "$rootfs" "$NODE_BASE" "$hash"
  cleanup
  STAGE=""
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
  STAGE=$(mktemp -d /tmp/mcp-sandbox-base.XXXXXX)
  rootfs=$STAGE/rootfs
  stage_base "$rootfs"
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
  import_image "$rootfs" "$PYTHON_BASE" "$hash"
  cleanup
  STAGE=""
  say "$PYTHON_BASE built (${hash:0:12})"
}

case $only in
  node) build_node; echo "$NODE_BASE" ;;
  python) build_python; echo "$PYTHON_BASE" ;;
  all) build_node; build_python; echo "$NODE_BASE"; echo "$PYTHON_BASE" ;;
  *) die "usage: $0 [node|python|all]" ;;
esac

# Shared by scripts/build-test-images.sh and scripts/build-local-bases.sh: assemble a busybox
# root filesystem on the host and load it with `docker import` (nothing is pulled).
#
# Source it after setting ROOTFS_PROG (the prefix of every message, e.g. build-test-images).
# Sourcing defines the functions below, LABEL, IMAGE_PATH, ROOTFS_LIB (this file: callers put
# it in their content hash, so a change here rebuilds the images) and STAGE, and installs an
# EXIT trap that removes the staging directory. It checks nothing by itself.
# shellcheck shell=bash

: "${ROOTFS_PROG:?set ROOTFS_PROG before sourcing scripts/lib/rootfs.sh}"
ROOTFS_LIB=${BASH_SOURCE[0]}
LABEL=mcp-sandbox.content-hash
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
STAGE="" # the staging directory of the image being built, if any (see stage_begin)

die() { echo "$ROOTFS_PROG: $*" >&2; exit 1; } # MESSAGE...: print to stderr, exit 1
say() { echo "$ROOTFS_PROG: $*" >&2; }         # MESSAGE...: print to stderr

# require_engine_root: a reachable docker engine, and root (file ownership in the image).
require_engine_root() {
  command -v docker >/dev/null || die "docker not found (run scripts/engine-up.sh)"
  timeout 20 docker info >/dev/null 2>&1 || die "docker engine not reachable (run scripts/engine-up.sh)"
  [[ $(id -u) -eq 0 ]] || die "must run as root (file ownership in the image)"
}

# require_busybox: sets BUSYBOX=/bin/busybox after checking it is there and static (a
# dynamically linked one would need its libraries too).
require_busybox() {
  BUSYBOX=/bin/busybox
  [[ -x $BUSYBOX ]] || die "$BUSYBOX missing (apt-get install busybox-static)"
  if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is not static (install busybox-static)"; fi
}

# sha [FILE...]: the sha256 of the files (or of stdin), hex digests only.
sha() { sha256sum "$@" | awk '{print $1}'; }

# existing_hash IMAGE: the $LABEL of IMAGE, empty when there is no such image or label.
existing_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}

# libs_of FILE...: the libraries the loader needs for FILEs, as ldd lists them (absolute paths,
# vdso and ldd's per-file headers excluded), sorted, one a line.
libs_of() {
  ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u
}

# copy_file ROOTFS FILE: copy the absolute path FILE to ROOTFS/FILE, keeping the path and
# taking the real file's content when FILE is a link.
copy_file() {
  mkdir -p "$1/$(dirname "$2")"
  cp -L "$2" "$1/$2"
}

# stage_begin KIND: create the staging directory /tmp/mcp-sandbox-KIND.XXXXXX in STAGE.
# Not in $(...): STAGE must be set in this shell for the EXIT trap.
stage_begin() { STAGE=$(mktemp -d "/tmp/mcp-sandbox-$1.XXXXXX"); }

# stage_end: remove the staging directory, if any, and forget it.
stage_end() {
  if [[ -n $STAGE && -d $STAGE ]]; then rm -rf "$STAGE"; fi
  STAGE=""
}
trap stage_end EXIT

# stage_base DIR APP_HOME [EXTRA_DIR...]: the common base in DIR (created): busybox ($BUSYBOX)
# with a link for each of its applets, /tmp (1777), /root (700), /proc, /sys, /dev, and
# /etc/passwd, group and nsswitch.conf with root, app (10001:10001, home APP_HOME) and
# nobody. APP_HOME and each EXTRA_DIR (paths relative to DIR) are created. Ownership is left
# as created: see own_rootfs.
stage_base() {
  local d=$1 app_home=$2 dir applet
  shift 2
  mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev}
  mkdir -p "$d/${app_home#/}"
  for dir in "$@"; do mkdir -p "$d/$dir"; done
  chmod 1777 "$d/tmp"
  chmod 700 "$d/root"
  cp "$BUSYBOX" "$d/bin/busybox"
  while read -r applet; do
    [[ -n $applet && $applet != bin/busybox && ! -e $d/$applet ]] || continue
    mkdir -p "$d/$(dirname "$applet")"
    ln -s /bin/busybox "$d/$applet"
  done < <("$BUSYBOX" --list-full)
  printf '%s\n' root:x:0:0:root:/root:/bin/sh "app:x:10001:10001:app:$app_home:/bin/sh" \
    nobody:x:65534:65534:nobody:/nonexistent:/bin/false >"$d/etc/passwd"
  printf 'root:x:0:\napp:x:10001:\nnogroup:x:65534:\n' >"$d/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$d/etc/nsswitch.conf"
}

# own_rootfs DIR [APP_PATH...]: everything in DIR to root (0:0), then each APP_PATH (relative
# to DIR, not recursive) to app (10001:10001). Call it when DIR is complete.
own_rootfs() {
  local d=$1 p
  shift
  chown -R 0:0 "$d"
  for p in "$@"; do chown 10001:10001 "$d/$p"; done
}

# import_image DIR IMAGE HASH COMMENT [CHANGE...]: load DIR as IMAGE with ENV PATH=$IMAGE_PATH,
# the CHANGEs (Dockerfile instructions, e.g. 'WORKDIR /app') and LABEL $LABEL=HASH; the
# image's comment is "COMMENT (HASH)". Owners are kept as numbers. The image IMAGE named
# before is removed if nothing uses it any more.
import_image() {
  local d=$1 image=$2 hash=$3 comment=$4 old new change
  local -a changes=(-c "ENV PATH=$IMAGE_PATH")
  for change in "${@:5}"; do changes+=(-c "$change"); done
  changes+=(-c "LABEL $LABEL=$hash")
  old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  new=$(tar -C "$d" --numeric-owner -cf - . |
    docker import "${changes[@]}" -m "$comment ($hash)" - "$image") ||
    die "docker import of $image failed"
  if [[ -n $old && $old != "$new" ]]; then docker image rm "$old" >/dev/null 2>&1 || true; fi
}

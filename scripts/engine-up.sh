#!/usr/bin/env bash
# Bring up the local Docker engine with the gVisor runtimes mcp-sandbox needs: a thin caller of
# `mcp-sandbox setup` (so needs dist/cli.js: `npm run build` first), plus what only the tests need.
#
# Idempotent: safe to run any number of times. Quiet on success apart from a one-line summary on
# stderr (MCP_SANDBOX_VERBOSE=1 shows setup's whole account). Exits non-zero with a message if the
# engine cannot be brought up.
#
#   - installs busybox-static (the test images need it) and the docker CLI (docker.io) with apt
#     when missing;
#   - `mcp-sandbox setup --yes --no-doctor`: installs runsc (and dockerd) with apt when missing,
#     registers `runsc` and `runsc-net` in daemon.json (the project's one merger; other keys kept),
#     writes the runtime mapping into the user config when the runsc/kernel quirk needs it, and
#     starts dockerd in the background or SIGHUPs it. doctor runs later, in the engine tests;
#   - removes runsc-sandbox / runsc-gofer processes left behind by containers that no longer run
#     (only for the system engine: a private one, DOCKER_HOST elsewhere, cannot tell whose they are).
#
# Environment (passed through to setup): MCP_SANDBOX_DAEMON_JSON, MCP_SANDBOX_DOCKERD_LOG,
# MCP_SANDBOX_ENGINE_WAIT, MCP_SANDBOX_DOCKERD_ARGS, DOCKER_HOST, MCP_SANDBOX_CONFIG;
# MCP_SANDBOX_NO_INSTALL=1 never runs apt-get (fails instead). See docs/engine.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "engine-up: $*" >&2; exit 1; }

# Run as root, or through sudo when available (a developer machine).
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "must run as root (or with sudo available)"
  SUDO=(sudo -n -E)
fi
export PATH="$PATH:/usr/sbin:/sbin"
have() { command -v "$1" >/dev/null 2>&1; }

# 1. What the tests need besides the engine -------------------------------------------------
missing=()
[[ -x /bin/busybox ]] || missing+=(busybox-static)
have docker || missing+=(docker.io)
if [[ -n ${MCP_SANDBOX_NO_INSTALL:-} ]]; then
  have runsc || missing+=(runsc)
  have dockerd || missing+=(docker.io)
  ((${#missing[@]} == 0)) || die "missing ${missing[*]} and MCP_SANDBOX_NO_INSTALL is set"
elif ((${#missing[@]})); then
  have apt-get || die "missing ${missing[*]} and no apt-get to install them"
  echo "engine-up: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  aptlog=$(mktemp /tmp/mcp-sandbox-apt.XXXXXX)
  if ! "${SUDO[@]}" apt-get update >"$aptlog" 2>&1 ||
    ! "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>"$aptlog" 2>&1; then
    tail -n 20 "$aptlog" >&2
    die "apt-get install ${missing[*]} failed (log: $aptlog)"
  fi
  rm -f "$aptlog"
fi

# 2. The engine: mcp-sandbox setup ----------------------------------------------------------
[[ -f $ROOT/dist/cli.js ]] || die "dist/cli.js missing: run 'npm run build' first (setup is part of the CLI)"
out=$(mktemp /tmp/mcp-sandbox-setup.XXXXXX)
trap 'rm -f "$out"' EXIT
if ! "${SUDO[@]}" node "$ROOT/bin/mcp-sandbox.js" setup --yes --no-doctor >"$out"; then
  cat "$out" >&2
  die "mcp-sandbox setup failed (see above)"
fi
[[ -n ${MCP_SANDBOX_VERBOSE:-} ]] && cat "$out" >&2
action=$(grep -oE '^(started|reloaded) dockerd' "$out" | head -n1 | cut -d' ' -f1 || true)

# 3. Leftover gVisor processes --------------------------------------------------------------
# Failed runsc starts can leave runsc-sandbox / runsc-gofer behind. Each one carries its
# container id in its arguments; kill those (older than 30 s) whose container is gone or exited.
reaped=0
system_engine=1
[[ -n ${DOCKER_HOST:-} && ${DOCKER_HOST} != unix:///var/run/docker.sock && ${DOCKER_HOST} != unix:///run/docker.sock ]] && system_engine=0
if ((system_engine)) && running=$(timeout 10 docker ps -q --no-trunc --filter status=created --filter status=running \
  --filter status=paused --filter status=restarting 2>/dev/null); then
  # Their comm is "exe"; argv[0] is runsc-sandbox / runsc-gofer.
  for p in $(pgrep -f '^runsc-(sandbox|gofer) ' 2>/dev/null || true); do
    [[ -r /proc/$p/cmdline ]] || continue
    # Leave young processes alone: their container may be starting right now.
    age=$(ps -o etimes= -p "$p" 2>/dev/null | tr -d ' ' || true)
    [[ -n $age ]] && ((age >= ${MCP_SANDBOX_REAP_MIN_AGE:-30})) || continue
    cid=$(tr '\0' '\n' </proc/$p/cmdline | grep -oE '[0-9a-f]{64}' | tail -n1 || true)
    [[ -n $cid ]] || continue
    if ! grep -qx "$cid" <<<"$running"; then
      "${SUDO[@]}" kill -KILL "$p" 2>/dev/null && reaped=$((reaped + 1)) || true
    fi
  done
fi

server=$(timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')
runsc_version=$(runsc --version 2>/dev/null || true)
runsc_date=$(grep -oE '20[0-9]{6}' <<<"$runsc_version" | head -n1 || true)
summary="engine-up: dockerd $server ${action:-running, unchanged}; runsc ${runsc_date:-?} on kernel $(uname -r)"
((reaped)) && summary+="; reaped $reaped stale gVisor processes"
echo "$summary" >&2

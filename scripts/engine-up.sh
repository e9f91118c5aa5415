#!/usr/bin/env bash
# Bring up the local Docker engine with the gVisor runtimes mcp-sandbox needs.
#
# Idempotent: safe to run any number of times. Quiet on success apart from a one-line
# summary on stderr. Exits non-zero with a one-line message if the engine cannot be brought up.
#
#   - installs docker.io, runsc and busybox-static with apt if dockerd or runsc is missing;
#   - registers the runtimes `runsc` and `runsc-net` in /etc/docker/daemon.json (other keys kept);
#   - starts dockerd in the background if it is not running (no systemd here), or SIGHUPs it
#     when daemon.json changed, then waits until `docker info` shows the runtimes;
#   - removes runsc-sandbox / runsc-gofer processes left behind by containers that no longer run.
#
# Environment:
#   MCP_SANDBOX_DAEMON_JSON   daemon.json path (default /etc/docker/daemon.json)
#   MCP_SANDBOX_DOCKERD_LOG   dockerd log file (default /var/log/mcp-sandbox-dockerd.log)
#   MCP_SANDBOX_ENGINE_WAIT   seconds to wait for the engine (default 30)
#   MCP_SANDBOX_NO_INSTALL=1  never run apt-get (fail instead)
#
# See docs/engine.md for the runsc/kernel quirk handled here.
set -euo pipefail

DAEMON_JSON=${MCP_SANDBOX_DAEMON_JSON:-/etc/docker/daemon.json}
DOCKERD_LOG=${MCP_SANDBOX_DOCKERD_LOG:-/var/log/mcp-sandbox-dockerd.log}
WAIT_SECS=${MCP_SANDBOX_ENGINE_WAIT:-30}
# First runsc release that runs with its own network stack on kernels >= 6.11 (gVisor#10704).
RUNSC_FIXED_RELEASE=20240807

die() { echo "engine-up: $*" >&2; exit 1; }
log() { [[ -n ${MCP_SANDBOX_VERBOSE:-} ]] && echo "engine-up: $*" >&2 || true; }

# Run as root, or through sudo when available (a developer machine).
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "must run as root (or with sudo available)"
  SUDO=(sudo -n)
fi

# ---------------------------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------------------------
have() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /usr/bin/$1 ]]; }
export PATH="$PATH:/usr/sbin:/sbin"

missing=()
have dockerd || missing+=(docker.io)
have runsc || missing+=(runsc)
[[ -x /bin/busybox ]] || missing+=(busybox-static)
have docker || missing+=(docker.io)
if ((${#missing[@]})); then
  [[ -n ${MCP_SANDBOX_NO_INSTALL:-} ]] && die "missing ${missing[*]} and MCP_SANDBOX_NO_INSTALL is set"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  echo "engine-up: installing docker.io runsc busybox-static (missing: ${missing[*]})" >&2
  export DEBIAN_FRONTEND=noninteractive
  aptlog=$(mktemp /tmp/mcp-sandbox-apt.XXXXXX)
  if ! "${SUDO[@]}" apt-get update >"$aptlog" 2>&1 ||
    ! "${SUDO[@]}" apt-get install -y --no-install-recommends docker.io runsc busybox-static >>"$aptlog" 2>&1; then
    tail -n 20 "$aptlog" >&2
    die "apt-get install docker.io runsc busybox-static failed (log: $aptlog)"
  fi
  rm -f "$aptlog"
  have dockerd && have runsc || die "dockerd/runsc still missing after apt-get install"
fi

RUNSC_PATH=$(command -v runsc)
DOCKERD_PATH=$(command -v dockerd)

# ---------------------------------------------------------------------------------------------
# 2. Runtime configuration
# ---------------------------------------------------------------------------------------------
runsc_version=$("$RUNSC_PATH" --version 2>/dev/null | head -n1 || true)
# "runsc version release-20240807.0" or Debian's "runsc version 0.0~20221219.0".
runsc_date=$(grep -oE '20[0-9]{6}' <<<"$runsc_version" | head -n1 || true)
kernel=$(uname -r)
kmaj=${kernel%%.*}
kmin=${kernel#*.}
kmin=${kmin%%[!0-9]*}
kernel_new=0
if ((kmaj > 6 || (kmaj == 6 && kmin >= 11))); then kernel_new=1; fi
runsc_old=1 # unknown version: assume old, the workaround works on every release
if [[ -n $runsc_date ]] && ((runsc_date >= RUNSC_FIXED_RELEASE)); then runsc_old=0; fi

if ((kernel_new && runsc_old)); then
  # gVisor#10704: the sandbox network stack refuses to start on these kernels.
  mode="quirk"
  runsc_args='["--network=none"]'
  runsc_net_args='["--network=host"]'
else
  mode="default"
  runsc_args='[]'
  runsc_net_args='["--network=sandbox"]'
fi

# Merge into daemon.json with node (or python3), keeping every other key. Prints "changed"
# or "unchanged".
merge_js='
const fs = require("fs");
const [file, path, a, b] = process.argv.slice(1);
let cur = {};
let raw = "";
try { raw = fs.readFileSync(file, "utf8"); } catch (e) { if (e.code !== "ENOENT") throw e; }
if (raw.trim()) {
  try { cur = JSON.parse(raw); } catch (e) { console.error("engine-up: " + file + " is not valid JSON: " + e.message); process.exit(2); }
}
const next = JSON.parse(JSON.stringify(cur));
next.runtimes = Object.assign({}, next.runtimes || {});
const entry = (args) => (args.length ? { path, runtimeArgs: args } : { path });
next.runtimes["runsc"] = entry(JSON.parse(a));
next.runtimes["runsc-net"] = entry(JSON.parse(b));
const out = JSON.stringify(next, null, 2) + "\n";
if (out === raw) { console.log("unchanged"); process.exit(0); }
fs.mkdirSync(require("path").dirname(file), { recursive: true });
fs.writeFileSync(file + ".tmp", out);
fs.renameSync(file + ".tmp", file);
console.log("changed");
'
merge_py='
import json, os, sys
file, path, a, b = sys.argv[1:5]
raw = ""
try:
    raw = open(file).read()
except FileNotFoundError:
    pass
cur = {}
if raw.strip():
    try:
        cur = json.loads(raw)
    except ValueError as e:
        sys.stderr.write("engine-up: %s is not valid JSON: %s\n" % (file, e)); sys.exit(2)
nxt = json.loads(json.dumps(cur))
rt = dict(nxt.get("runtimes") or {})
def entry(args):
    return {"path": path, "runtimeArgs": args} if args else {"path": path}
rt["runsc"] = entry(json.loads(a)); rt["runsc-net"] = entry(json.loads(b))
nxt["runtimes"] = rt
out = json.dumps(nxt, indent=2) + "\n"
if out == raw:
    print("unchanged"); sys.exit(0)
os.makedirs(os.path.dirname(file), exist_ok=True)
open(file + ".tmp", "w").write(out); os.replace(file + ".tmp", file)
print("changed")
'
merge_failed() { # exit 2: the merger already said why
  (($1 == 2)) && exit 1
  die "could not update $DAEMON_JSON"
}
if command -v node >/dev/null 2>&1; then
  merged=$("${SUDO[@]}" node -e "$merge_js" "$DAEMON_JSON" "$RUNSC_PATH" "$runsc_args" "$runsc_net_args") ||
    merge_failed $?
elif command -v python3 >/dev/null 2>&1; then
  merged=$("${SUDO[@]}" python3 -c "$merge_py" "$DAEMON_JSON" "$RUNSC_PATH" "$runsc_args" "$runsc_net_args") ||
    merge_failed $?
else
  die "need node or python3 to edit $DAEMON_JSON"
fi
log "daemon.json $merged (mode $mode)"

# ---------------------------------------------------------------------------------------------
# 3. dockerd
# ---------------------------------------------------------------------------------------------
# True when `docker info` answers and lists both runtimes with the args we configured.
runtimes_ok() {
  local rt
  rt=$(timeout 10 docker info --format '{{json .Runtimes}}' 2>/dev/null) || return 1
  RT="$rt" A="$runsc_args" B="$runsc_net_args" node -e '
    const rt = JSON.parse(process.env.RT || "{}");
    const want = { "runsc": JSON.parse(process.env.A), "runsc-net": JSON.parse(process.env.B) };
    for (const [name, args] of Object.entries(want)) {
      const got = rt[name];
      if (!got) process.exit(1);
      const have = got.runtimeArgs || got.RuntimeArgs || [];
      if (JSON.stringify(have) !== JSON.stringify(args)) process.exit(1);
    }' 2>/dev/null
}

wait_for() { # wait_for SECONDS CHECK...
  local deadline=$((SECONDS + $1))
  shift
  while ((SECONDS < deadline)); do
    "$@" && return 0
    sleep 0.5
  done
  "$@"
}

dockerd_pid() { pgrep -x dockerd | head -n1 || true; }

pid=$(dockerd_pid)
action="running"
if [[ -z $pid ]]; then
  action="started"
  # A dockerd killed hard leaves its pid file, which makes the next start fail.
  if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null; then
    "${SUDO[@]}" rm -f /var/run/docker.pid
  fi
  "${SUDO[@]}" mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid + nohup: dockerd must outlive this script and the shell that called it.
  "${SUDO[@]}" bash -c 'setsid nohup "$0" >>"$1" 2>&1 </dev/null &' "$DOCKERD_PATH" "$DOCKERD_LOG"
  if ! wait_for "$WAIT_SECS" runtimes_ok; then
    tail -n 15 "$DOCKERD_LOG" >&2 || true
    if [[ -z $(dockerd_pid) ]]; then
      die "dockerd exited during start-up (log: $DOCKERD_LOG)"
    fi
    die "dockerd did not answer 'docker info' with runsc runtimes within ${WAIT_SECS}s (log: $DOCKERD_LOG)"
  fi
else
  if ! wait_for 10 timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; then
    die "dockerd (pid $pid) is running but 'docker info' does not answer (log: $DOCKERD_LOG)"
  fi
  if [[ $merged == changed ]] || ! runtimes_ok; then
    action="reloaded"
    "${SUDO[@]}" kill -HUP "$pid"
    wait_for "$WAIT_SECS" runtimes_ok ||
      die "dockerd (pid $pid) did not pick up the runsc runtimes from $DAEMON_JSON after SIGHUP"
  fi
fi

# ---------------------------------------------------------------------------------------------
# 4. Leftover gVisor processes
# ---------------------------------------------------------------------------------------------
# Failed runsc starts can leave runsc-sandbox / runsc-gofer behind. Each one carries its
# container id in their arguments; kill those (older than 30 s) whose container is gone or exited.
reaped=0
if running=$(timeout 10 docker ps -q --no-trunc --filter status=created --filter status=running \
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
summary="engine-up: dockerd $server $action; runsc ${runsc_date:-?} on kernel $kernel ($mode runtime args)"
((reaped)) && summary+="; reaped $reaped stale gVisor processes"
echo "$summary" >&2

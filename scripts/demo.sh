#!/usr/bin/env bash
# `npm run demo`: the whole story on one machine, from nothing.
#
#   1. checks the machine can do it at all (Linux, root or sudo, apt or an engine already there);
#   2. npm ci when node_modules is missing, npm run build when dist/ is older than src/;
#   3. scripts/engine-up.sh: docker + gVisor (runsc) installed, configured and running;
#   4. the filesystem server's image, built offline by `mcp-sandbox build` on a local base
#      (host node, scripts/build-local-bases.sh) with the server staged from node_modules;
#   5. scripts/demo.mjs: the MCP SDK client starts `mcp-sandbox run profiles/filesystem.yaml`
#      over a demo workspace, lists tools, calls two, shows two denied actions, and checks no
#      container is left behind.
#
# Progress goes to stderr; the readable account of the MCP session goes to stdout.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PROFILE=profiles/filesystem.yaml
BASE_IMAGE=mcp-sandbox-test/node-base:local
started=$SECONDS

step() { echo "demo: $*" >&2; }
explain() { # one paragraph on what is missing, then exit non-zero
  echo >&2
  echo "mcp-sandbox demo cannot run here: $*" | fold -s -w 100 >&2
  exit 1
}

# 1. Can this machine do it? ------------------------------------------------------------------
[[ $(uname -s) == Linux ]] ||
  explain "it needs Linux, because the servers run in gVisor (runsc), which exists only for Linux; this is $(uname -s). On macOS or Windows, run it inside a Linux VM (for example Debian 12) as root, where 'npm run demo' installs Docker and gVisor with apt and does the rest."
if [[ $(id -u) -ne 0 ]]; then
  explain "it needs root: it installs docker.io and runsc with apt, writes /etc/docker/daemon.json, starts dockerd and assembles a root-owned base image. Run it again as root, for example with 'sudo npm run demo'."
fi
have_engine=0
command -v docker >/dev/null 2>&1 && command -v runsc >/dev/null 2>&1 && have_engine=1
if ((!have_engine)) && ! command -v apt-get >/dev/null 2>&1; then
  explain "Docker and gVisor (runsc) are not installed and there is no apt-get to install them. Install a Docker engine and runsc with your distribution's packages (docker.io, runsc), register runsc as a Docker runtime, then run the demo again."
fi
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
  explain "node and npm (Node.js 20 or newer) are missing: install them (apt-get install nodejs npm, or from nodejs.org) and run 'npm run demo' again from the project directory."
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || explain "Node.js $(node --version) is too old; mcp-sandbox needs Node.js 20 or newer."

# 2. Dependencies and build -------------------------------------------------------------------
if [[ ! -d node_modules/@modelcontextprotocol/sdk || ! -d node_modules/@modelcontextprotocol/server-filesystem ]]; then
  step "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2 || explain "'npm ci' failed: the npm registry must be reachable from this machine once, to install the project's dependencies."
fi
if [[ ! -f dist/cli.js ]] || [[ -n $(find src -newer dist/cli.js -name '*.ts' -print -quit) ]]; then
  step "building the CLI (npm run build)"
  npm run -s build >&2 || explain "'npm run build' failed (see above)."
fi

# 3. Engine -----------------------------------------------------------------------------------
step "bringing up the engine (docker + gVisor)"
bash scripts/engine-up.sh || explain "the Docker engine with the gVisor runtime could not be brought up (see the line above). The log of dockerd is in /var/log/mcp-sandbox-dockerd.log."

# 4. Image, offline ---------------------------------------------------------------------------
step "building the filesystem server image offline"
bash scripts/build-local-bases.sh node >/dev/null || explain "the local node base image could not be assembled (see above)."
# Stage the server from the project's node_modules, as pinned by package-lock.json: no
# registry needed. If the lock holds another version than the profile pins, let npm stage it.
want=$(node -e 'const y=require("fs").readFileSync(process.argv[1],"utf8");const m=/package:\s*"?@modelcontextprotocol\/server-filesystem@([^"\s]+)/.exec(y);console.log(m?m[1]:"")' "$PROFILE")
have=$(node -p 'require("./package-lock.json").packages["node_modules/@modelcontextprotocol/server-filesystem"]?.version ?? ""')
app=$(mktemp -d /tmp/mcp-sandbox-demo-app.XXXXXX)
ws_root=$(mktemp -d /tmp/mcp-sandbox-demo.XXXXXX)
trap 'rm -rf "$app" "$ws_root"' EXIT
build_args=(build "$PROFILE" --base-image "$BASE_IMAGE")
if [[ -n $want && $want == "$have" ]] &&
  node scripts/lib/stage-node-modules.mjs --lock package-lock.json --from node_modules --to "$app/node_modules" \
    @modelcontextprotocol/server-filesystem 2>/dev/null; then
  printf '{ "name": "mcp-sandbox-server", "private": true, "dependencies": { "@modelcontextprotocol/server-filesystem": "%s" } }\n' "$want" >"$app/package.json"
  build_args+=(--app "$app")
fi
node bin/mcp-sandbox.js "${build_args[@]}" >/dev/null || explain "'mcp-sandbox ${build_args[*]}' failed (see above)."

# 5. The MCP session --------------------------------------------------------------------------
# A small workspace the server may read; uid 10001 in the container must be able to read it.
ws=$ws_root/workspace
mkdir -p "$ws/notes"
printf '# Demo workspace\n\nThe filesystem server sees only this directory, read-only.\n' >"$ws/README.md"
printf 'buy milk\nreview the sandbox profile\n' >"$ws/notes/todo.txt"
chmod -R a+rX "$ws_root"
step "starting the server through mcp-sandbox run"
MCP_WORKSPACE=$ws node scripts/demo.mjs "$PROFILE"
status=$?
step "done in $((SECONDS - started)) s"
exit $status

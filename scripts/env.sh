# Sourced by every project script: puts the project's own Node 22 and Yarn 4 (installed by
# scripts/bootstrap.sh into .tools/, git-ignored) first on PATH, and points Yarn and node-gyp at
# them. The registry is read from npm's configuration at run time, never written into a file.
PG_BACKUP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BACKUP_TOOLS="$PG_BACKUP_ROOT/.tools"
export PG_BACKUP_ROOT PG_BACKUP_TOOLS
export PATH="$PG_BACKUP_TOOLS/node/bin:$PG_BACKUP_TOOLS/yarn/bin:$PATH"
export npm_config_nodedir="$PG_BACKUP_TOOLS/node"
export YARN_ENABLE_TELEMETRY=0
export YARN_ENABLE_GLOBAL_CACHE=0
export YARN_CACHE_FOLDER="$PG_BACKUP_TOOLS/yarn-cache"
if [ -z "${YARN_NPM_REGISTRY_SERVER:-}" ]; then
  YARN_NPM_REGISTRY_SERVER="$(PATH=/usr/local/bin:/usr/bin:$PATH npm config get registry 2>/dev/null | sed 's#/*$##')"
  export YARN_NPM_REGISTRY_SERVER
fi
export NODE_OPTIONS="${NODE_OPTIONS:-} --no-deprecation"

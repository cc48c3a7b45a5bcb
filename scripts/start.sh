#!/usr/bin/env bash
# Starts the portal on the sandbox: the sandbox Kubernetes API on https://127.0.0.1:6443
# (kubeconfig in .sandbox/kubeconfig), the app on http://localhost:3000 and the backend on
# http://localhost:7007, with SQLite in memory, guest sign-in and the example catalog.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
source scripts/env.sh

rm -f .sandbox/kubeconfig
yarn workspace @internal/sandbox sandbox start --port "${SANDBOX_PORT:-6443}" --dir "$PWD/.sandbox" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  [ -s .sandbox/kubeconfig ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { echo "start: the sandbox failed to start"; exit 1; }
  sleep 0.2
done
export KUBECONFIG="$PWD/.sandbox/kubeconfig"
yarn backstage-cli repo start "$@"

#!/usr/bin/env bash
# Starts the portal on the sandbox: the sandbox Kubernetes API on https://127.0.0.1:6443
# (kubeconfig in .sandbox/kubeconfig), sandbox S3 on http://127.0.0.1:4566 with the seeded world, the app on http://localhost:3000 and the backend on
# http://localhost:7007, with SQLite in memory, guest sign-in and the example catalog.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
source scripts/env.sh

rm -f .sandbox/kubeconfig .sandbox/ready
yarn workspace @internal/sandbox sandbox start --port "${SANDBOX_PORT:-6443}" --dir "$PWD/.sandbox" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true' EXIT INT TERM
# The sandbox seeds its example world (real backups by the agent) before it reports ready.
for _ in $(seq 1 1500); do
  [ -f .sandbox/ready ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { echo "start: the sandbox failed to start"; exit 1; }
  sleep 0.2
done
export KUBECONFIG="$PWD/.sandbox/kubeconfig"
# Once the backend answers, a real recovery drill of qawave-postgresql (restore into a scratch
# database, verify, measured recovery time): the seeded world then has one proven database.
node scripts/demo-drill.js &
drill_pid=$!
trap 'kill "$sandbox_pid" "$drill_pid" 2>/dev/null || true' EXIT INT TERM
# The sandbox writes how the portal reaches it (cluster URL, CA, the portal's token, S3).
yarn backstage-cli repo start --config "$PWD/app-config.yaml" --config "$PWD/.sandbox/app-config.sandbox.yaml" "$@"

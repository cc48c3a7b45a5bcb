#!/usr/bin/env bash
# Starts the portal: the app on http://localhost:3000 and the backend on http://localhost:7007,
# with SQLite in memory, guest sign-in and the example catalog (app-config.yaml).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
source scripts/env.sh
exec yarn backstage-cli repo start "$@"

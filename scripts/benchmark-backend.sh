#!/usr/bin/env bash
# Benchmarks the pg-backup backend at fleet scale: a real backend over the sandbox cluster and S3
# with 20 ms added per upstream call, 1,000 annotated databases with 400 backups each. Prints a
# Markdown table. BENCH_DATABASES, BENCH_HISTORY, BENCH_LATENCY_MS and BENCH_ROUNDS change the
# figures. Takes a few minutes (most of it seeding S3 and catalog ingestion).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
source scripts/env.sh
cd plugins/pg-backup-backend
# The guest sign-in the benchmark uses is only enabled in development mode.
NODE_ENV=development exec node -r sucrase/register/ts bench/fleetBenchmark.ts "$@"

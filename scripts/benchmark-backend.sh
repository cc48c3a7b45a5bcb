#!/usr/bin/env bash
# Benchmarks the pg-backup backend at fleet scale: a real backend over the sandbox cluster and S3
# with 20 ms added per upstream call, 1,000 annotated databases with 400 backups each, every
# database its own history. Prints a Markdown table. BENCH_DATABASES, BENCH_HISTORY,
# BENCH_CLUSTERS (cluster entries), BENCH_LATENCY_MS and BENCH_ROUNDS change the figures;
# BENCH_S3=moto|replayed|generated where S3 answers come from (generated: the histories computed
# from their rule, as moto would answer them); BENCH_SHARED_HISTORIES=1 lets a bucket's databases
# share one history. The 10,000-database run: BENCH_S3=generated BENCH_DATABASES=10000
# BENCH_CLUSTERS=10 BENCH_SECOND_REFRESH_S=420. Takes a few minutes (most of it seeding S3 and
# catalog ingestion).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
source scripts/env.sh
cd plugins/pg-backup-backend
# The guest sign-in the benchmark uses is only enabled in development mode.
NODE_ENV=development exec node -r sucrase/register/ts bench/fleetBenchmark.ts "$@"

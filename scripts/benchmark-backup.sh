#!/usr/bin/env bash
# Benchmarks the backup agent against pg_dump/pg_restore on local files and the QAWave runbook's
# `pg_dump | aws s3 cp -` pipeline, on generated databases (default 100 MB and 1 GB), with the
# sandbox S3 on this machine (median of BENCH_REPEATS=5 rounds). Prints a Markdown table. Takes
# about 9 minutes for the defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
source scripts/env.sh
cd packages/backup-agent
# the agent runs as the image runs it: the bundled dist/cli.js, built fresh from the sources
node scripts/build-cli.js
exec node -r sucrase/register/ts bench/benchmark.ts "$@"

#!/usr/bin/env bash
# Runs every benchmark; each prints its figures and a ratio against a peer in the same run.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for script in bench/bench_*.py; do
  echo "=== $script"
  .venv/bin/python "$script" || status=1
done
exit $status

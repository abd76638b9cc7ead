#!/usr/bin/env bash
# Runs a command while stress-ng keeps every core busy, as a CI machine shared with other work
# is: a test that holds only on an idle machine fails here. Exits with the command's status.
#   bash scripts/under-cpu-hog.sh npx vitest run test/placement-concurrency.test.ts
set -uo pipefail
command -v stress-ng >/dev/null || { echo "stress-ng is missing (scripts/install.sh installs it)" >&2; exit 1; }
stress-ng --cpu "$(nproc)" --cpu-method matrixprod --timeout 900s --quiet &
hog=$!
trap 'kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null' EXIT
echo "==> under a CPU hog on $(nproc) cores: $*"
"$@"

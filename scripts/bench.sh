#!/usr/bin/env bash
# Benchmarks (see bench/RESULTS.md): `npm run bench`, or `npm run bench -- --quick`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
npm run build --silent
exec node --import tsx bench/run.ts "$@"

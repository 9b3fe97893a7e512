#!/usr/bin/env bash
# Benchmarks (see bench/RESULTS.md): `npm run bench`, or `npm run bench -- --quick`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
npm run build --silent
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec node --import tsx bench/run.ts "$@"

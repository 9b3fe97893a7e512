#!/usr/bin/env bash
# The whole test suite: real clients (AWS CLI v1 and v2, boto3, the JS SDK, git) against real
# server processes. Installs the Debian packages the tests need when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/aws ] || need+=(awscli)          # the AWS CLI v2 (Debian's package)
command -v git >/dev/null || need+=(git)
command -v ssh >/dev/null || need+=(openssh-client)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)  # tests start their own server
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need these Debian packages: ${need[*]}. Install them (or run as root)." >&2
    exit 1
  fi
  echo "Installing ${need[*]} …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${need[@]}" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi
# The AWS CLI v1 and boto3 come with the machine's python3.
python3 -c 'import awscli, boto3' 2>/dev/null || { echo "python3 needs the awscli and boto3 modules (the AWS CLI v1)" >&2; exit 1; }

[ -d node_modules ] || npm ci
npm run build --silent
npm run typecheck --silent          # the tests and benchmarks are TypeScript too
exec npx vitest run "$@"

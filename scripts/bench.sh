#!/usr/bin/env bash
# Benchmarks (see bench/RESULTS.md): `npm run bench`, or `npm run bench -- --quick`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The SSH benchmark compares with OpenSSH's own sshd (Debian's openssh-server). The benchmark runs
# its own sshd on a spare loopback port with its own config; note that on a machine booted with
# systemd, installing the package also enables the system's sshd service.
if [ ! -x /usr/sbin/sshd ] && [ "$(id -u)" -eq 0 ]; then
  echo "Installing openssh-server (for the SSH benchmark's baseline) …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends openssh-server >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends openssh-server >/dev/null; }
fi
[ -d node_modules ] || npm ci
npm run build --silent
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec node --import tsx bench/run.ts "$@"

#!/usr/bin/env bash
# Makes the two kubectl generations the simulator is tested with available without touching the system:
# Debian's kubectl 1.20, unpacked into .tools/kubectl-1.20 (installing the package would conflict with a
# kubectl some images already carry), and whatever newer kubectl is on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.tools/kubectl-1.20
if [ -x "$dest/usr/bin/kubectl" ]; then
  echo "kubectl 1.20: $dest/usr/bin/kubectl (already there)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "kubectl 1.20: no apt-get on this machine; the kubectl 1.20 tests will be skipped" >&2
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -qq >/dev/null
(cd "$tmp" && apt-get download -qq kubernetes-client 2>/dev/null)
mkdir -p "$dest"
dpkg -x "$tmp"/kubernetes-client_*.deb "$dest"
echo "kubectl 1.20: $("$dest/usr/bin/kubectl" version --client --short 2>/dev/null || true)"

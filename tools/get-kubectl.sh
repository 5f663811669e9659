#!/usr/bin/env bash
# Makes the two kubectl generations the simulator is tested with available without touching the system:
# Debian's kubectl 1.20, unpacked into .tools/kubectl-1.20 (installing the package would conflict with a
# kubectl some images already carry), and whatever newer kubectl is on PATH.
# Whatever fails here says why and exits 0, so that .ci/run still gets to `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.tools/kubectl-1.20

skip() {
  echo "kubectl 1.20: $1; the tests that need it will be skipped (or fail, where CI is set)" >&2
  exit 0
}

if [ -x "$dest/usr/bin/kubectl" ]; then
  echo "kubectl 1.20: $dest/usr/bin/kubectl (already there)"
  exit 0
fi
command -v apt-get >/dev/null || skip "no apt-get on this machine"
command -v dpkg >/dev/null || skip "no dpkg on this machine"
tmp=$(mktemp -d) || skip "no temporary directory"
trap 'rm -rf "$tmp"' EXIT
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo -n"  # -n: never wait for a password, CI has nobody to type it
# The package lists already there may do: a failed update (no sudo, no network) is reported, and the download still tried.
$sudo_cmd apt-get update -qq >/dev/null 2>"$tmp/update.err" ||
  echo "kubectl 1.20: apt-get update failed ($(tail -n 1 "$tmp/update.err")); trying the package lists there are" >&2
(cd "$tmp" && apt-get download -qq kubernetes-client >/dev/null 2>download.err) ||
  skip "apt-get download kubernetes-client failed ($(tail -n 1 "$tmp/download.err"))"
{ mkdir -p "$dest" && dpkg -x "$tmp"/kubernetes-client_*.deb "$dest"; } 2>"$tmp/unpack.err" || {
  rm -rf "$dest"
  skip "unpacking kubernetes-client into $dest failed ($(tail -n 1 "$tmp/unpack.err"))"
}
echo "kubectl 1.20: $("$dest/usr/bin/kubectl" version --client --short 2>/dev/null || true)"

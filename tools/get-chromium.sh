#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/test_browser.py drives it with Playwright; Playwright's own
# browser download is not used). Whatever fails here says why and exits 0, so that .ci/run still gets to `make test`,
# where the browser tests then fail with that reason in CI (and are skipped on a workstation).
set -euo pipefail

skip() {
  echo "chromium: $1; the browser tests will be skipped (or fail, where CI is set)" >&2
  exit 0
}

if command -v chromium >/dev/null; then
  echo "chromium: $(command -v chromium) (already there)"
  exit 0
fi
command -v apt-get >/dev/null || skip "no apt-get on this machine"
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo -n"  # -n: never wait for a password, CI has nobody to type it
tmp=$(mktemp -d) || skip "no temporary directory"
trap 'rm -rf "$tmp"' EXIT
install() {
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>"$tmp/install.err"
}
# The package lists already there may do (tools/get-kubectl.sh has just updated them); else update and try again.
install || { $sudo_cmd apt-get update -qq >/dev/null 2>&1; install; } ||
  skip "apt-get install chromium failed ($(tail -n 1 "$tmp/install.err"))"
echo "chromium: $(chromium --version 2>/dev/null || command -v chromium)"

#!/usr/bin/env bash
# Installs the real az CLI (azure-cli from PyPI) into .tools/azcli, a virtual environment of its own, for the tests that
# run the lessons' az commands (tests/test_printed_commands.py). It cannot share labkit's environment: azure-cli pins
# older Azure SDKs exactly (2.91.0: azure-mgmt-resource==24.0.0, azure-mgmt-compute~=34.1; labkit needs 26 and 39).
# It takes about 700 MB and a minute or two. Whatever fails here says why and exits 0, so that .ci/run still gets to
# `make test` (where CI is set, the tests that need az then fail and say it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.tools/azcli
version=${AZURE_CLI_VERSION:-2.91.0}

skip() {
  echo "az: $1; the tests that need it will be skipped (or fail, where CI is set)" >&2
  exit 0
}

if [ -x "$dest/bin/az" ] && [ "$("$dest/bin/python" -c 'import importlib.metadata as m; print(m.version("azure-cli"))' 2>/dev/null)" = "$version" ]; then
  echo "az: $dest/bin/az $version (already there)"
  exit 0
fi
log=$(mktemp) || skip "no temporary file"
trap 'rm -f "$log"' EXIT
rm -rf "$dest"
mkdir -p .tools
"${PYTHON:-python3}" -m venv "$dest" 2>"$log" || skip "python3 -m venv failed ($(tail -n 1 "$log"))"
"$dest/bin/python" -m pip install --quiet --disable-pip-version-check "azure-cli==$version" >"$log" 2>&1 || {
  rm -rf "$dest"
  skip "pip install azure-cli==$version failed ($(grep -v '^WARNING' "$log" | tail -n 1))"
}
echo "az: $dest/bin/az $version"

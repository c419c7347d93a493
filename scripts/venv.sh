#!/usr/bin/env bash
# Creates ./.venv with the pinned test peers. Re-installs only when tests/requirements.txt or
# tests/constraints.txt change; otherwise it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.keyward-stamp
want=$(cat tests/requirements.txt tests/constraints.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "Installing the Python test peers into .venv ..." >&2
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt -c tests/constraints.txt
echo "$want" > "$stamp"

#!/usr/bin/env bash
# Installs the Debian packages Keyward needs, only those missing, silently when all are present.
#   scripts/install-deps.sh run    to build and serve
#   scripts/install-deps.sh test   also the test peers (PostgreSQL 15 server, Python venv support, curl, chromium)
#   scripts/install-deps.sh bench  also the load generator and the baseline (wrk, nginx)
set -euo pipefail
need=(pkg-config libsqlite3-dev libssl-dev libmicrohttpd-dev libpq-dev libcurl4-openssl-dev libxml2-dev)
if [ "${1:-run}" = test ]; then
  need+=(postgresql-15 postgresql-client-15 python3-venv curl chromium chromium-driver)
fi
if [ "${1:-run}" = bench ]; then
  need+=(python3-venv curl wrk nginx)
fi
missing=()
for package in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing Debian packages: ${missing[*]}" >&2
sudo=
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "Run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
       $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "apt-get could not install: ${missing[*]}" >&2
  exit 1
fi

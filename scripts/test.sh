#!/usr/bin/env bash
# `make test`: installs and starts the test peers on loopback, runs every suite, and stops what it
# started even when a test fails.
#   1. Debian packages (scripts/install-deps.sh test) and the pinned Python venv (scripts/venv.sh)
#   2. a throwaway PostgreSQL 15 cluster in a temp dir, run as the postgres user, on a free loopback port,
#      and a moto server (AWS IAM/STS/Secrets Manager with signature and policy checks) on another
#   3. swift build, then swift test (unit, store contract on SQLite and PostgreSQL, HTTP, API, end-to-end)
#   4. the web console in headless chromium through selenium (tests/console/test_console.py)
#   5. schemathesis against a real keyward on SQLite and on PostgreSQL (scripts/api-fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

scripts/install-deps.sh test
scripts/venv.sh

work=$(mktemp -d /tmp/keyward-test.XXXXXX)
chmod 755 "$work"
cleanup() {
  scripts/moto.sh stop "$work/moto" || true
  scripts/postgres.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$(scripts/postgres.sh start "$work/pg")"
export KEYWARD_TEST_POSTGRES_URL KEYWARD_REQUIRE_POSTGRES=1
echo "PostgreSQL test server: ${KEYWARD_TEST_POSTGRES_URL}" >&2
eval "$(scripts/moto.sh start "$work/moto")"
export KEYWARD_TEST_AWS_ENDPOINT KEYWARD_TEST_AWS_ADMIN_KEY_ID KEYWARD_TEST_AWS_ADMIN_SECRET KEYWARD_REQUIRE_AWS=1
echo "moto (AWS) test server: ${KEYWARD_TEST_AWS_ENDPOINT}" >&2

swift build
swift test 2>&1 | tee "$work/swift-test.log"
# Swift Testing and XCTest each report their own totals; together they are the suite's count.
testing=$(grep -Eo 'Test run with [0-9]+ tests?' "$work/swift-test.log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
xctest=$(grep -E "Suite 'All tests' passed" -A1 "$work/swift-test.log" | grep -Eo 'Executed [0-9]+' | grep -Eo '[0-9]+' | tail -1 || echo 0)

echo "== Web console in headless chromium (selenium) ==" >&2
KEYWARD_SCREENSHOTS="$work/screenshots" .venv/bin/python tests/console/test_console.py

echo "== API fuzzing (schemathesis) on SQLite ==" >&2
scripts/api-fuzz.sh sqlite
echo "== API fuzzing (schemathesis) on PostgreSQL ==" >&2
psql "$KEYWARD_TEST_POSTGRES_URL" -qAtc "CREATE DATABASE keyward_fuzz" >/dev/null
scripts/api-fuzz.sh "${KEYWARD_TEST_POSTGRES_URL%/*}/keyward_fuzz"

echo "make test: all suites passed in $(( $(date +%s) - started ))s" >&2
# The plain closing line CI reads: Swift tests, the browser test and the two API fuzzing runs.
echo "keyward: $(( testing + xctest + 3 )) passed, 0 failed"

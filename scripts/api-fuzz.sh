#!/usr/bin/env bash
# Runs schemathesis (every check) against a real `keyward serve`, using Keyward's own /openapi.json.
#   scripts/api-fuzz.sh DATABASE     DATABASE: sqlite, or a postgres:// URL of an empty database
# Needs ./.venv (scripts/venv.sh) and a built ./.build/debug/keyward. Stops the server it started.
set -euo pipefail
cd "$(dirname "$0")/.."
database=${1:-sqlite}
bin=${KEYWARD_BIN:-.build/debug/keyward}
work=$(mktemp -d /tmp/keyward-fuzz.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# With moto running (make test), the server gets a platform AWS identity there, so the AWS operations
# answer for real (a random role ARN is refused by moto: 424) instead of 503 "AWS not configured".
if [ -n "${KEYWARD_TEST_AWS_ENDPOINT:-}" ]; then eval "$(.venv/bin/python tests/aws/platform_user.py)"; fi

# At log level info the "listening" line tells us the port, and every request's status is logged.
args=(serve --listen 127.0.0.1:0 --data-dir "$work/data" --log-level info)
if [ "$database" != sqlite ]; then args+=(--database "$database"); fi
"$bin" "${args[@]}" >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
for _ in $(seq 1 300); do
  port=$(grep -o '"msg":"listening","address":"127.0.0.1:[0-9]*' "$work/stderr" 2>/dev/null | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
  sleep 0.1
done
[ -n "${port:-}" ] || { echo "keyward did not start" >&2; cat "$work/stderr" >&2; exit 1; }

export KEYWARD_SERVER="http://127.0.0.1:$port" KEYWARD_TOKEN
KEYWARD_TOKEN=$(cat "$work/data/operator-token")
# Seed data the fuzzer can reach: a workspace with secrets management, a project store, a reference,
# and the built-in secret it names.
"$bin" workspace create --name seed >/dev/null
"$bin" addon grant advanced_security --workspace 1 >/dev/null
"$bin" project create --workspace 1 --name seed >/dev/null
"$bin" secrets-management store set --workspace 1 --provider builtin >/dev/null
"$bin" secrets-management store set --workspace 1 --project 1 --provider builtin >/dev/null
"$bin" connection create --workspace 1 --project 1 --name seed --type generic --field 'password=${secret:seed/db#password}' >/dev/null
echo '{"password":"fuzz"}' | "$bin" secret put --workspace 1 --name seed/db --value-file - >/dev/null

# Deleting the seed workspace or revoking the operator's own token would end the run early.
# One worker: with two threads, CPython 3.11's ast module (used by hypothesis to describe strategies) can
# fail with "AST constructor recursion depth mismatch", a tooling error unrelated to the server.
.venv/bin/schemathesis --config-file tests/schemathesis.toml run "$KEYWARD_SERVER/openapi.json" \
  -H "Authorization: Bearer $KEYWARD_TOKEN" --checks all --max-examples "${FUZZ_EXAMPLES:-25}" --workers 1 \
  --exclude-operation-id deleteWorkspace --exclude-operation-id revokeToken --seed "${FUZZ_SEED:-20261204}"

# The server must have survived everything, and logged no 5xx.
curl -fsS "$KEYWARD_SERVER/healthz" >/dev/null
if grep -q '"status":5' "$work/stderr"; then
  echo "keyward answered 5xx during the fuzz run:" >&2
  grep '"status":5' "$work/stderr" | head -20 >&2
  exit 1
fi

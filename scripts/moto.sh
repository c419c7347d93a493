#!/usr/bin/env bash
# Starts or stops a moto server (AWS IAM, STS and Secrets Manager) for tests, on a loopback port.
#   scripts/moto.sh start DIR   → prints `export KEYWARD_TEST_AWS_…=…` lines for eval
#   scripts/moto.sh stop DIR
# IAM enforcement is on: only the bootstrap's first three requests (creating an administrator) pass
# unsigned; every later request must carry a valid SigV4 signature and is checked against IAM policies.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?start|stop}
dir=${2:?directory}

case "$action" in
start)
  mkdir -p "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  INITIAL_NO_AUTH_ACTION_COUNT=3 nohup .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
  echo $! >"$dir/moto.pid"
  for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
    sleep 0.1
  done
  .venv/bin/python tests/aws/moto_bootstrap.py "http://127.0.0.1:$port" || { cat "$dir/moto.log" >&2; exit 1; }
  ;;
stop)
  if [ -f "$dir/moto.pid" ]; then kill "$(cat "$dir/moto.pid")" 2>/dev/null || true; rm -f "$dir/moto.pid"; fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

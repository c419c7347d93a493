#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 cluster for tests, on a loopback port, in DIR.
#   scripts/postgres.sh start DIR   → prints `export KEYWARD_TEST_POSTGRES_URL=…` for eval
#   scripts/postgres.sh stop DIR
# initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail
action=${1:?start|stop}
dir=${2:?directory}
bin=$(dirname "$(dpkg -L postgresql-15 2>/dev/null | grep '/bin/initdb$' | head -n1)")
[ -x "$bin/initdb" ] || { echo "postgresql-15 is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt -c "CREATE DATABASE keyward_test" >/dev/null
  echo "export KEYWARD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/keyward_test"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

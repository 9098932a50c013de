#!/usr/bin/env bash
# CI step 2: the database, service, sync-engine and server tests again, against a real
# PostgreSQL. Installs PostgreSQL from the distribution when missing, starts a throw-away
# cluster on a free local port as the `postgres` user (pg_ctl refuses to run as root), and
# stops it at the end, also on failure. Expects .venv from step 1 (python run.py test).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN=$(find_bin)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "== PostgreSQL not found: installing it from the distribution's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  PGBIN=$(find_bin)
fi
[ -x "$PGBIN/initdb" ] || { echo "initdb not found under /usr/lib/postgresql/*/bin" >&2; exit 1; }

PGROOT=$(mktemp -d /tmp/jobdesk-pg.XXXXXX)
chmod 755 "$PGROOT"
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$PGROOT"
    su postgres -s /bin/bash -c "$*"
  else
    bash -c "$*"
  fi
}
stop_cluster() {
  as_pg "'$PGBIN/pg_ctl' -D '$PGROOT/data' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap stop_cluster EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PGUSER=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )
echo "== PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'): throw-away cluster on port $PORT"
as_pg "'$PGBIN/initdb' -D '$PGROOT/data' -A trust -U '$PGUSER' -E UTF8 >/dev/null"
# A test cluster: durability off for speed (it is deleted at the end anyway).
as_pg "'$PGBIN/pg_ctl' -D '$PGROOT/data' -l '$PGROOT/server.log' -w -o \"-p $PORT -k '$PGROOT' \
  -c listen_addresses=localhost -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null
"$PGBIN/createdb" -h localhost -p "$PORT" -U "$PGUSER" jobdesk_test

export QT_QPA_PLATFORM=offscreen
# JOBDESK_PG_TESTS narrows the run (a developer checking one file); CI runs them all.
# shellcheck disable=SC2086
.venv/bin/python -m pytest ${JOBDESK_PG_TESTS:-tests/unit tests/integration tests/e2e} -q -p no:cacheprovider \
  --postgres-url "postgresql+psycopg://$PGUSER@localhost:$PORT/jobdesk_test"
echo "== PostgreSQL tests passed in $(( $(date +%s) - started ))s"

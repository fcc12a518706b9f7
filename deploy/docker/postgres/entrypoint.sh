#!/bin/bash
# The official postgres image's entrypoint contract, in short: on an empty PGDATA, initdb with
# POSTGRES_USER / POSTGRES_PASSWORD, create POSTGRES_DB, then run the init scripts against a
# temporary socket-only server (so nothing can connect over TCP before they are done; psql
# runs the .sql files, so psql meta-commands such as \getenv work); then serve on *:5432.
# POSTGRES_INITDB_ARGS is passed to initdb, as there (default here: UTF-8, C.UTF-8 locale).
set -euo pipefail
if [ "${1:-}" != postgres ]; then exec "$@"; fi
shift
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export POSTGRES_USER POSTGRES_DB
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  INITDB_ARGS=${POSTGRES_INITDB_ARGS:---encoding=UTF8 --locale=C.UTF-8}
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwfile=$(mktemp); printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"; chown postgres "$pwfile"
    as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 $INITDB_ARGS >/dev/null
    rm -f "$pwfile"; method=scram-sha-256
  else
    as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --auth=trust $INITDB_ARGS >/dev/null; method=trust
  fi
  echo "host all all all $method" >> "$PGDATA/pg_hba.conf"
  as_postgres pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -k /run/postgresql" start >/dev/null
  psql=(psql -v ON_ERROR_STOP=1 -h /run/postgresql -U "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) echo "running $f"; "${psql[@]}" -d "$POSTGRES_DB" -f "$f" >/dev/null ;;
      *.sh) echo "running $f"; . "$f" ;;
      *) ;;
    esac
  done
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "PostgreSQL init process complete; ready for start up."
fi
# setpriv, not runuser: PostgreSQL itself becomes PID 1 and gets the stop signal (runuser
# would stay in between, and compose would have to SIGKILL the container).
exec setpriv --reuid=postgres --regid=postgres --init-groups \
  postgres -D "$PGDATA" -c listen_addresses='*' -k /run/postgresql "$@"

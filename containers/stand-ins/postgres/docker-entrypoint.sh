#!/usr/bin/env bash
# The part of the official postgres image's entrypoint that docker-compose.yml relies on:
# on an empty PGDATA, initdb with POSTGRES_USER / POSTGRES_PASSWORD, run
# /docker-entrypoint-initdb.d/*.sql and *.sh against a server on its Unix socket only (so that
# pg_isready -h 127.0.0.1 stays false until the scripts are done), then serve on every address.
set -Eeuo pipefail

if [ "${1:-postgres}" = postgres ]; then
    shift || true
fi

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

user="${POSTGRES_USER:-postgres}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "postgres stand-in: POSTGRES_PASSWORD must be set" >&2
        exit 1
    fi
    initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
        -D "$PGDATA" >/dev/null
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -k /var/run/postgresql" start >/dev/null
    database="${POSTGRES_DB:-$user}"
    if [ "$database" != postgres ]; then
        psql -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$user" -d postgres \
            -c "CREATE DATABASE \"$database\""
    fi
    for script in /docker-entrypoint-initdb.d/*; do
        case "$script" in
        *.sql)
            echo "postgres stand-in: running $script"
            psql -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$user" -d "$database" -f "$script"
            ;;
        *.sh)
            echo "postgres stand-in: running $script"
            PGHOST=/var/run/postgresql PGUSER="$user" bash "$script"
            ;;
        esac
    done
    pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
    echo "postgres stand-in: initialised $PGDATA"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' -k /var/run/postgresql "$@"

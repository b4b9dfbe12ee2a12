#!/usr/bin/env bash
# Make a PostgreSQL server answer on 127.0.0.1:5432 with a superuser role `checkline`
# (password `checkline`) for the integration tests: install it (Debian) where missing, start
# the cluster where stopped, create the role where absent. Idempotent; prints what it did.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "ensure-postgres: installing postgresql"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "ensure-postgres: PostgreSQL is not installed and cannot be installed here" >&2
        exit 0   # the tests then say loudly that the PostgreSQL half did not run
    fi
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    for version in $(ls /etc/postgresql); do
        echo "ensure-postgres: starting cluster $version/main"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 60); do
        pg_isready -q -h 127.0.0.1 -p 5432 && break
        sleep 0.5
    done
fi

exists=$(su postgres -s /bin/sh -c \
    "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'checkline'\"" 2>/dev/null || true)
if [ "$exists" != "1" ]; then
    echo "ensure-postgres: creating role checkline"
    su postgres -s /bin/sh -c \
        "psql -qc \"CREATE ROLE checkline LOGIN SUPERUSER PASSWORD 'checkline'\""
fi

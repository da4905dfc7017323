#!/usr/bin/env bash
# Start the database the service tests use, on loopback, when it is not running: Debian's
# PostgreSQL (installed by system-packages.sh), cluster <newest version>/main, a password
# role `strata` and a database `strata_test`. Idempotent. Needs root or passwordless sudo
# when the cluster has to be started; prints one line saying what to do otherwise.
# Tests connect to ${STRATA_TEST_POSTGRES:-postgres://strata:strata@127.0.0.1:5432/strata_test}.
set -euo pipefail
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && PGPASSWORD=strata psql -qtAc "SELECT 1" -h 127.0.0.1 -U strata strata_test >/dev/null 2>&1; then
  exit 0
fi
as_root=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo"; else
    echo "strata tests: PostgreSQL is not running on 127.0.0.1:5432 with role strata/db strata_test: run scripts/services.sh as root" >&2
    exit 1
  fi
fi
pgver=$(ls /usr/lib/postgresql | sort -V | tail -1)
$as_root pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$pgver main" || $as_root pg_createcluster "$pgver" main >/dev/null
$as_root pg_ctlcluster "$pgver" main status >/dev/null 2>&1 || $as_root pg_ctlcluster "$pgver" main start
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "strata tests: PostgreSQL $pgver did not start (see /var/log/postgresql/)" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres bash -c "$1"; fi; }
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='strata'\"" | grep -q 1 \
  || as_postgres "psql -q -v ON_ERROR_STOP=1 -c \"CREATE ROLE strata LOGIN CREATEDB PASSWORD 'strata'\""
as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='strata_test'\"" | grep -q 1 \
  || as_postgres "createdb -O strata strata_test"

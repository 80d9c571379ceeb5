#!/usr/bin/env bash
# Start Debian's PostgreSQL on 127.0.0.1:5432 with a database for the test suite
# (idempotent; run as root). Prints the DATABASE_URL to run the suite against it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! command -v pg_lsclusters >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1, $2}')
if [ -z "$cluster" ]; then
  pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -1)" main >/dev/null
  cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1, $2}')
fi
# shellcheck disable=SC2086
pg_ctlcluster $cluster start >/dev/null 2>&1 || true  # "already running" must not join the URL

as_postgres() { su postgres -c "$1"; }
for _ in $(seq 1 30); do
  as_postgres "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
if [ "$(as_postgres "psql -qtAc \"select 1 from pg_roles where rolname='basket'\"")" != 1 ]; then
  as_postgres "psql -qc \"create role basket login password 'basket'\""
fi
if [ "$(as_postgres "psql -qtAc \"select 1 from pg_database where datname='basket_test'\"")" != 1 ]; then
  as_postgres "createdb -O basket basket_test"
fi
echo "postgresql+psycopg://basket:basket@127.0.0.1:5432/basket_test"

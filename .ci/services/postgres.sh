#!/usr/bin/env bash
# Installs Debian's PostgreSQL and runs a cluster on 127.0.0.1:5432 with a
# role `kizuki` (password `kizuki`, allowed to create databases; tests make
# one database each). Prints the environment the tests read.
set -euo pipefail

install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
    }
}
command -v pg_ctlcluster >/dev/null || install
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || install

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
    pg_createcluster "$version" main >/dev/null
fi
conf=/etc/postgresql/$version/main
# Loopback only.
sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$conf/postgresql.conf"
sed -i "s/^#\?port = .*/port = 5432/" "$conf/postgresql.conf"
# Tests make and drop many small databases: keep that quick.
grep -q "^fsync = off" "$conf/postgresql.conf" || cat >> "$conf/postgresql.conf" <<'CONF'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
pg_ctlcluster "$version" main start >/dev/null 2>&1 || pg_ctlcluster "$version" main restart >/dev/null
for _ in $(seq 1 50); do
    if su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1; then
        break
    fi
    sleep 0.2
done
su postgres -c "psql -qAt" >/dev/null <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kizuki') THEN
        CREATE ROLE kizuki LOGIN PASSWORD 'kizuki' CREATEDB;
    END IF;
END
$$;
SQL
su postgres -c "psql -qAtc \"SELECT 1 FROM pg_database WHERE datname = 'kizuki'\"" | grep -q 1 \
    || su postgres -c "createdb -O kizuki kizuki"
echo "KIZUKI_TEST_POSTGRES=postgres://kizuki:kizuki@127.0.0.1:5432/kizuki"

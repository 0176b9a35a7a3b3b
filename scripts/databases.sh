#!/usr/bin/env bash
# Makes sure PostgreSQL and MariaDB run and answer on 127.0.0.1 as the storage contract
# suite (test/contract/storage.test.ts) expects them: PostgreSQL on 5432 with trust for
# local TCP (user postgres), MariaDB on 3306 with root and no password. Installs them
# with apt-get only when missing; starts them without systemd (CI containers have none);
# waits until both answer. Run as root (.ci/run does); idempotent.
set -euo pipefail

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "databases.sh: installing ${need[*]}"
  apt-get update </dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" </dev/null
fi

wait_for() { # name, command...: polls for 60 s
  local name=$1
  shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "databases.sh: $name does not answer after 60 s" >&2
  return 1
}

# PostgreSQL: the cluster Debian created, started without systemd.
version=$(ls /etc/postgresql | sort -V | tail -1)
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' </dev/null >/dev/null 2>&1; then
  # A fresh install asks for passwords over TCP: trust the loopback, as the tests expect.
  hba=/etc/postgresql/$version/main/pg_hba.conf
  sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  wait_for "PostgreSQL (trust on 127.0.0.1)" psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1'
fi

# MariaDB: mariadbd in the background, its socket directory made first.
if ! mysqladmin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; then
  mkdir -p /run/mysqld
  chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
wait_for MariaDB mysqladmin --protocol=socket -uroot ping
if ! mysql -h 127.0.0.1 -P 3306 -uroot -e 'select 1' </dev/null >/dev/null 2>&1; then
  # A fresh install lets root in only through the socket: allow root over loopback TCP.
  mysql --protocol=socket -uroot </dev/null -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"
fi
wait_for "MariaDB (root on 127.0.0.1)" mysql -h 127.0.0.1 -P 3306 -uroot -e 'select 1'
echo "databases.sh: PostgreSQL $(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'show server_version' </dev/null) and MariaDB $(mysql -h 127.0.0.1 -uroot -Nse 'select version()' </dev/null) answer"

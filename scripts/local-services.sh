#!/usr/bin/env bash
# Makes sure the local MariaDB and Redis that development and tests use are running,
# that the application's own database user exists (the app never runs as root), and that Redis
# has its ACL (one user per service, no anonymous access).
# MariaDB serves TLS with the local CA (scripts/local-pki.sh); the Tessera accounts require it.
# Used by .ci/run and by `npm start` on a developer machine. Idempotent.
set -euo pipefail

DB_USER="${TESSERA_DB_USER:-tessera}"
DB_PASSWORD="${TESSERA_DB_PASSWORD:-tessera-local-dev}"
ADMIN_USER="${TESSERA_DB_ADMIN_USER:-tessera_admin}"
ADMIN_PASSWORD="${TESSERA_DB_ADMIN_PASSWORD:-tessera-admin-local-dev}"

say() { echo "[local-services] $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 name=$2 tries=${3:-60}
  for _ in $(seq 1 "$tries"); do port_open "$port" && return 0; sleep 0.5; done
  say "$name did not answer on 127.0.0.1:$port"; return 1
}

# mariadbd's own log: start-stop-daemon --background discards stderr, so without this a server
# that fails to start would leave no trace of why.
MARIADB_LOG="${TESSERA_MARIADB_LOG:-/tmp/tessera-mariadbd.err}"

# The local CA first: MariaDB serves its certificate (mariadb.pem, SANs localhost, 127.0.0.1, mysql)
# and every service account below requires TLS.
bash "$(dirname "$0")/local-pki.sh"
PKI_DIR="${TESSERA_PKI_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.tessera/pki}"
# mariadbd runs as root here, so it can read the 0600 key in place. A server running as `mysql`
# (a distribution's service unit) needs a copy of mariadb-key.pem that `mysql` can read.
MARIADB_TLS=(--ssl-ca="$PKI_DIR/ca.pem" --ssl-cert="$PKI_DIR/mariadb.pem" --ssl-key="$PKI_DIR/mariadb-key.pem")
start_mariadb() {
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=root --log-error="$MARIADB_LOG" "${MARIADB_TLS[@]}"
  # Crash recovery after an unclean stop can take a while: up to 2 minutes.
  wait_port 3306 MariaDB 240
}

if ! port_open 3306; then
  if [ ! -x /usr/sbin/mariadbd ]; then
    say "MariaDB is not installed. Install it with: apt-get install -y mariadb-server (or set DATABASE_URL to a MySQL 8 / MariaDB server)."
    exit 3
  fi
  say "starting MariaDB (log: $MARIADB_LOG)"
  if ! start_mariadb; then
    say "last lines of $MARIADB_LOG:"; tail -n 30 "$MARIADB_LOG" >&2 || true
    exit 4
  fi
elif command -v mariadb >/dev/null && [ "$(id -u)" = 0 ] \
  && [ "$(mariadb -uroot -N -B -e "SELECT @@have_ssl" 2>/dev/null || true)" != "YES" ]; then
  # A server started before TLS (or by something else, without certificates): the accounts below
  # could not connect once they require TLS. Shut it down cleanly and start it the way above.
  say "MariaDB runs without TLS; restarting it with the local CA's certificate (log: $MARIADB_LOG)"
  mariadb-admin -uroot shutdown
  for _ in $(seq 1 120); do port_open 3306 || break; sleep 0.5; done
  if ! start_mariadb; then
    say "last lines of $MARIADB_LOG:"; tail -n 30 "$MARIADB_LOG" >&2 || true
    exit 4
  fi
fi

# A server started from another checkout (another .tessera/pki) serves a certificate of another CA,
# which no client of this checkout would trust: restart it with this checkout's certificate (its
# data stays; a local development server is the only kind this script starts).
if command -v mariadb >/dev/null && [ "$(id -u)" = 0 ]; then
  served_ca=$(mariadb -uroot -N -B -e "SELECT @@ssl_ca" 2>/dev/null || true)
  if [ -n "$served_ca" ] && ! cmp -s "$served_ca" "$PKI_DIR/ca.pem"; then
    say "MariaDB serves a certificate of the CA in $served_ca; restarting it with $PKI_DIR/ca.pem's (log: $MARIADB_LOG)"
    mariadb-admin -uroot shutdown
    for _ in $(seq 1 120); do port_open 3306 || break; sleep 0.5; done
    if ! start_mariadb; then
      say "last lines of $MARIADB_LOG:"; tail -n 30 "$MARIADB_LOG" >&2 || true
      exit 4
    fi
  fi
fi

# Redis with authentication: the default user off, one ACL user per service (scripts/local-redis.sh).
bash "$(dirname "$0")/local-redis.sh"

# The accounts (README "Database accounts"):
# - the migrator (ADMIN_USER, DATABASE_ADMIN_URL) owns the control plane (tessera_*), the tenant
#   schemas (tenant_*) and test schemas (ttest_*): DDL, and GRANT OPTION to hand out table rights.
#   Only the one-shot migrate step (`tessera migrate`, run by `npm start` and the test harness
#   before any service) uses it.
# - one account per service, tessera_<service> (DATABASE_URL of that service), created here with no
#   grant at all: the migrate step gives each exactly the table rights its module declares.
#   Their passwords are DEV-ONLY defaults (tessera-<service>-local-dev), for a MariaDB on your own
#   machine; override one with TESSERA_DB_PASSWORD_<SERVICE> (and DATABASE_URL_<SERVICE> to match).
# - the older shared service account (DB_USER) is still created, for checkouts that predate the
#   per-service accounts; it holds no database-level grant.
SERVICES="gateway datasets models jobs audit metrics tenants workers"
if command -v mariadb >/dev/null && [ "$(id -u)" = 0 ]; then
  # A server killed mid-write (a machine stopped without shutting MariaDB down) can leave a
  # system table such as mysql.db with a corrupt index; the GRANTs below would then fail with
  # "Index is corrupted". Check the (small) mysql schema and repair what is damaged first.
  repair_report=$(mariadb-check -uroot --auto-repair --silent --databases mysql 2>&1 || true)
  if [ -n "$repair_report" ]; then
    say "checked and repaired MariaDB system tables:"; echo "$repair_report" >&2
  fi
  mariadb -uroot <<SQL
CREATE USER IF NOT EXISTS '${ADMIN_USER}'@'127.0.0.1' IDENTIFIED BY '${ADMIN_PASSWORD}';
CREATE USER IF NOT EXISTS '${ADMIN_USER}'@'localhost' IDENTIFIED BY '${ADMIN_PASSWORD}';
GRANT ALL PRIVILEGES ON \`tessera\_%\`.* TO '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON \`tenant\_%\`.* TO '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON \`ttest\_%\`.* TO '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}';
CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASSWORD}';
ALTER USER '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost' REQUIRE SSL;
SQL
  for service in $SERVICES; do
    upper=$(echo "$service" | tr '[:lower:]' '[:upper:]')
    password_variable="TESSERA_DB_PASSWORD_${upper}"
    password="${!password_variable:-tessera-${service}-local-dev}"
    for host in 127.0.0.1 localhost; do
      mariadb -uroot -e "CREATE USER IF NOT EXISTS 'tessera_${service}'@'${host}' IDENTIFIED BY '${password}'"
      # No plain-text session: passwords and tenant data cross the wire only over TLS.
      mariadb -uroot -e "ALTER USER 'tessera_${service}'@'${host}' REQUIRE SSL"
      # A service account holds table-level grants only; revoke any database-level one an older script gave.
      for pattern in 'tessera\_%' 'tenant\_%' 'ttest\_%'; do
        mariadb -uroot --force -e "REVOKE ALL PRIVILEGES ON \`${pattern}\`.* FROM 'tessera_${service}'@'${host}'" 2>/dev/null || true
      done
    done
  done
  for host in 127.0.0.1 localhost; do
    for pattern in 'tessera\_%' 'tenant\_%' 'ttest\_%'; do
      mariadb -uroot --force -e "REVOKE ALL PRIVILEGES ON \`${pattern}\`.* FROM '${DB_USER}'@'${host}'" 2>/dev/null || true
    done
  done
  mariadb -uroot -e 'FLUSH PRIVILEGES'
fi
say "MariaDB (TLS required for the Tessera accounts) on 127.0.0.1:3306 and Redis (TLS only, with its ACL) on 127.0.0.1:${TESSERA_REDIS_TLS_PORT:-6380} are up"

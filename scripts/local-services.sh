#!/usr/bin/env bash
# Makes sure the local MariaDB and Redis that development and tests use are running,
# that the application's own database user exists (the app never runs as root), and that Redis
# has its ACL (one user per service, no anonymous access).
# MariaDB serves TLS with the local CA (scripts/local-pki.sh); the Tessera accounts require it.
# Used by .ci/run and by `npm start` on a developer machine. Idempotent.
set -euo pipefail

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
# shellcheck source=scripts/mariadb-sync-mode.sh
source "$(dirname "$0")/mariadb-sync-mode.sh"
start_mariadb() {
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  # Its own pid file: the region server (scripts/local-region-mariadb.sh) runs the same executable,
  # and matching by executable alone would take it for this server and start nothing.
  "${MARIADB_LAUNCH[@]}" start-stop-daemon --start --oknodo --background --pidfile /run/mysqld/mysqld.pid --exec /usr/sbin/mariadbd -- --user=root --pid-file=/run/mysqld/mysqld.pid --log-error="$MARIADB_LOG" "${MARIADB_TLS[@]}"
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

# The setting only shapes a server this script starts: say so when the running one keeps fsync.
if [ "${TESSERA_MARIADB_NOSYNC:-0}" = 1 ] && [ -r /run/mysqld/mysqld.pid ] \
  && ! grep -q libeatmydata "/proc/$(cat /run/mysqld/mysqld.pid)/maps" 2>/dev/null; then
  say "note: MariaDB on 3306 was already running with fsync; TESSERA_MARIADB_NOSYNC=1 applies to a server this script starts"
fi

# Redis with authentication: the default user off, one ACL user per service (scripts/local-redis.sh).
bash "$(dirname "$0")/local-redis.sh"

# The accounts (README "Database accounts"): scripts/local-mariadb-accounts.sh, on this server and
# on the region server below.
bash "$(dirname "$0")/local-mariadb-accounts.sh"

# The second server: another data region's tenant schemas (REGION_DATABASES) in tests and CI.
bash "$(dirname "$0")/local-region-mariadb.sh"

say "MariaDB (TLS required for the Tessera accounts) on 127.0.0.1:3306 and 127.0.0.1:${TESSERA_REGION_DB_PORT:-3307} (a region's server), and Redis (TLS only, with its ACL) on 127.0.0.1:${TESSERA_REDIS_TLS_PORT:-6380} are up"

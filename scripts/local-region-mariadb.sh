#!/usr/bin/env bash
# Makes sure a second local MariaDB runs: the database server of another data region
# (REGION_DATABASES), on 127.0.0.1:3307 (TESSERA_REGION_DB_PORT), with its own data directory and
# socket, TLS with the local CA's server certificate (as the first server: scripts/local-services.sh),
# root over its unix socket only, and the same Tessera accounts (scripts/local-mariadb-accounts.sh).
# The tests place a region's tenant schemas here to show they live on that server alone.
#
# Idempotent: a server already answering on the port is left running as it is (only the accounts
# are ensured); a fresh machine gets a new data directory. Never touches the server on 3306.
# Called by scripts/local-services.sh (and so by .ci/run, as root on a clean clone).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${TESSERA_REGION_DB_PORT:-3307}"
DATA_DIR="${TESSERA_REGION_DB_DIR:-/var/lib/tessera-mariadb-$PORT}"
SOCKET="${TESSERA_REGION_DB_SOCKET:-/run/mysqld/mysqld-$PORT.sock}"
PID_FILE="/run/mysqld/mysqld-$PORT.pid"
LOG="${TESSERA_REGION_DB_LOG:-/tmp/tessera-mariadbd-$PORT.err}"
PKI_DIR="${TESSERA_PKI_DIR:-$ROOT/.tessera/pki}"

say() { echo "[local-region-mariadb] $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ "$(id -u)" != 0 ]; then
  say "not root: the second MariaDB (127.0.0.1:$PORT) is started only as root; start it yourself or point REGION_DATABASES elsewhere"
  exit 0
fi
if [ ! -x /usr/sbin/mariadbd ]; then
  say "MariaDB is not installed. Install it with: apt-get install -y mariadb-server"
  exit 3
fi

if ! port_open "$PORT"; then
  bash "$ROOT/scripts/local-pki.sh" "$PKI_DIR"
  mkdir -p /run/mysqld
  if [ ! -d "$DATA_DIR/mysql" ]; then
    say "creating the data directory $DATA_DIR"
    mkdir -p "$DATA_DIR"
    # root@localhost authenticates by the unix socket only, as on the first server.
    mariadb-install-db --no-defaults --user=root --datadir="$DATA_DIR" --auth-root-authentication-method=socket --skip-test-db >/dev/null
  fi
  say "starting MariaDB on 127.0.0.1:$PORT (data $DATA_DIR, socket $SOCKET, log $LOG)"
  # --no-defaults: nothing of /etc/mysql (the first server's socket, pid file and data directory).
  # The pid file tells start-stop-daemon this server from the first one (same executable).
  # shellcheck source=scripts/mariadb-sync-mode.sh
  source "$ROOT/scripts/mariadb-sync-mode.sh"
  "${MARIADB_LAUNCH[@]}" start-stop-daemon --start --oknodo --background --pidfile "$PID_FILE" --exec /usr/sbin/mariadbd -- \
    --no-defaults --user=root --datadir="$DATA_DIR" --port="$PORT" --bind-address=127.0.0.1 \
    --socket="$SOCKET" --pid-file="$PID_FILE" --log-error="$LOG" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --ssl-ca="$PKI_DIR/ca.pem" --ssl-cert="$PKI_DIR/mariadb.pem" --ssl-key="$PKI_DIR/mariadb-key.pem"
  for _ in $(seq 1 240); do port_open "$PORT" && break; sleep 0.5; done
  if ! port_open "$PORT"; then
    say "MariaDB did not answer on 127.0.0.1:$PORT; last lines of $LOG:"; tail -n 30 "$LOG" >&2 || true
    exit 4
  fi
fi

if [ ! -S "$SOCKET" ]; then
  say "something answers on 127.0.0.1:$PORT but $SOCKET is missing: not this script's server; set TESSERA_REGION_DB_PORT/TESSERA_REGION_DB_SOCKET"
  exit 5
fi
bash "$ROOT/scripts/local-mariadb-accounts.sh" --socket="$SOCKET"
say "MariaDB (a region's server, TLS required for the Tessera accounts) on 127.0.0.1:$PORT"

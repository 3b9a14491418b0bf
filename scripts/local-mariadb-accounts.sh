#!/usr/bin/env bash
# Creates the Tessera accounts on a local MariaDB server (README "Database accounts"), as root over
# its unix socket. Arguments are passed to every client call: none for the default server
# (127.0.0.1:3306, its socket from /etc/mysql), `--socket=<path>` for another one (a region's
# server, scripts/local-region-mariadb.sh), which gets the same accounts with the same passwords:
# every process reaches each region's server as the account it has for the home one.
# Called by scripts/local-services.sh and scripts/local-region-mariadb.sh. Idempotent.
set -euo pipefail

CLIENT=("$@")
DB_USER="${TESSERA_DB_USER:-tessera}"
DB_PASSWORD="${TESSERA_DB_PASSWORD:-tessera-local-dev}"
ADMIN_USER="${TESSERA_DB_ADMIN_USER:-tessera_admin}"
ADMIN_PASSWORD="${TESSERA_DB_ADMIN_PASSWORD:-tessera-admin-local-dev}"

say() { echo "[local-mariadb-accounts] $*" >&2; }
sql() { mariadb -uroot "${CLIENT[@]}" "$@"; }

# The accounts (README "Database accounts"):
# - the migrator (ADMIN_USER, DATABASE_ADMIN_URL) owns the control plane (tessera_*), the tenant
#   schemas (tenant_*) and test schemas (ttest_*): DDL, and GRANT OPTION to hand out table rights.
#   It reads mysql.tables_priv and mysql.columns_priv (the table and column rights held), so a
#   re-grant revokes only what is held.
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
  repair_report=$(mariadb-check -uroot "${CLIENT[@]}" --auto-repair --silent --databases mysql 2>&1 || true)
  if [ -n "$repair_report" ]; then
    say "checked and repaired MariaDB system tables:"; echo "$repair_report" >&2
  fi
  sql <<SQL
CREATE USER IF NOT EXISTS '${ADMIN_USER}'@'127.0.0.1' IDENTIFIED BY '${ADMIN_PASSWORD}';
CREATE USER IF NOT EXISTS '${ADMIN_USER}'@'localhost' IDENTIFIED BY '${ADMIN_PASSWORD}';
GRANT ALL PRIVILEGES ON \`tessera\_%\`.* TO '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON \`tenant\_%\`.* TO '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON \`ttest\_%\`.* TO '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost' WITH GRANT OPTION;
GRANT SELECT ON mysql.tables_priv TO '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost';
GRANT SELECT ON mysql.columns_priv TO '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost';
CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}';
CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASSWORD}';
ALTER USER '${ADMIN_USER}'@'127.0.0.1', '${ADMIN_USER}'@'localhost' REQUIRE SSL;
SQL
  for service in $SERVICES; do
    upper=$(echo "$service" | tr '[:lower:]' '[:upper:]')
    password_variable="TESSERA_DB_PASSWORD_${upper}"
    password="${!password_variable:-tessera-${service}-local-dev}"
    for host in 127.0.0.1 localhost; do
      sql -e "CREATE USER IF NOT EXISTS 'tessera_${service}'@'${host}' IDENTIFIED BY '${password}'"
      # No plain-text session: passwords and tenant data cross the wire only over TLS.
      sql -e "ALTER USER 'tessera_${service}'@'${host}' REQUIRE SSL"
      # A service account holds table-level grants only; revoke any database-level one an older script gave.
      for pattern in 'tessera\_%' 'tenant\_%' 'ttest\_%'; do
        sql --force -e "REVOKE ALL PRIVILEGES ON \`${pattern}\`.* FROM 'tessera_${service}'@'${host}'" 2>/dev/null || true
      done
    done
  done
  for host in 127.0.0.1 localhost; do
    for pattern in 'tessera\_%' 'tenant\_%' 'ttest\_%'; do
      sql --force -e "REVOKE ALL PRIVILEGES ON \`${pattern}\`.* FROM '${DB_USER}'@'${host}'" 2>/dev/null || true
    done
  done
  # The only way the migrator creates or drops an account: root's two routines for the accounts of
  # dedicated tenants' workers (deploy/mysql/account-routines.sql), EXECUTE on them and no CREATE USER.
  sql < "$(dirname "$0")/../deploy/mysql/account-routines.sql"
  for host in 127.0.0.1 localhost; do
    for routine in create_dedicated_worker_account drop_dedicated_worker_account; do
      sql -e "GRANT EXECUTE ON PROCEDURE accounts_tessera.${routine} TO '${ADMIN_USER}'@'${host}'"
    done
  done
  sql -e 'FLUSH PRIVILEGES'
fi

# Sourced by the mysql image's entrypoint once, on an empty data volume, after init.sql.
# Creates one account per service (each service's DATABASE_URL) with no grant at all: every right
# an account has is a table-level grant given by `tessera migrate` from that service's module
# declarations (its own tables, the ports it writes into, the tables it still borrows), so no
# service can read or change another's tables, and none can rewrite the audit trail or run DDL.
# The passwords come from the container's environment (TESSERA_DB_PASSWORD_<SERVICE>, i.e.
# MYSQL_<SERVICE>_PASSWORD in .env).
for service in gateway datasets models jobs audit metrics tenants workers; do
  variable="TESSERA_DB_PASSWORD_$(echo "$service" | tr '[:lower:]' '[:upper:]')"
  password="${!variable:-}"
  if [ -z "$password" ]; then
    echo "service-user.sh: $variable is not set" >&2
    exit 1
  fi
  docker_process_sql --database=mysql <<SQL
CREATE USER IF NOT EXISTS 'tessera_${service}'@'%' IDENTIFIED BY '${password}';
SQL
done

# Sourced by the mysql image's entrypoint once, on an empty data volume, after init.sql.
# Creates the service account (DATABASE_URL) with no grant at all: every right it has is a
# table-level grant given by the migrations (SELECT, INSERT, UPDATE, DELETE on ordinary tables;
# SELECT, INSERT only on audit tables), so the request path can never rewrite the audit trail.
# The password comes from the container's environment (TESSERA_DB_PASSWORD, i.e. MYSQL_PASSWORD in .env).
if [ -z "${TESSERA_DB_PASSWORD:-}" ]; then
  echo "service-user.sh: TESSERA_DB_PASSWORD is not set" >&2
  exit 1
fi
docker_process_sql --database=mysql <<SQL
CREATE USER IF NOT EXISTS 'tessera'@'%' IDENTIFIED BY '${TESSERA_DB_PASSWORD}';
SQL

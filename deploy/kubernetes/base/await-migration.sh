#!/usr/bin/env bash
# Init container of every Deployment: waits until `tessera migrate` has granted this pod's own
# database account (DATABASE_URL) its rights in the control schema. Until then the account holds
# nothing (the migrate step creates every grant), so a service started before the migration Job
# is not started at all and never reports ready. Runs in the mariadb image (its client), with the
# pod's CA (DATABASE_TLS_CA_FILE, server name checked). The password never reaches the command line.
set -euo pipefail
url="${DATABASE_URL#mysql://}"
credentials="${url%%@*}"
address="${url#*@}"
address="${address%%/*}"
user="${credentials%%:*}"
host="${address%%:*}"
port=3306
[[ "$address" == *:* ]] && port="${address##*:}"
export MYSQL_PWD="${credentials#*:}"
until mariadb --ssl-ca="$DATABASE_TLS_CA_FILE" --ssl-verify-server-cert -h "$host" -P "$port" -u "$user" -N -e 'SHOW GRANTS' 2>/dev/null | grep -qF "\`$CONTROL_SCHEMA\`."; do
  echo "waiting for tessera migrate to grant $user on $CONTROL_SCHEMA"
  sleep "${AWAIT_MIGRATION_INTERVAL_SECONDS:-5}"
done
echo "$user is granted on $CONTROL_SCHEMA"

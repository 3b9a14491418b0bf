-- Runs once, when the mysql container initialises an empty data volume.
-- The official image has already created the migrator account from MYSQL_USER / MYSQL_PASSWORD
-- (tessera_admin, host '%', password from .env), so no password appears here. Like
-- scripts/local-services.sh, the migrator may create and own the control plane (tessera_*) and the
-- tenant schemas (tenant_*), and nothing else on the server; GRANT OPTION lets the migrations hand
-- the service account (deploy/mysql/service-user.sh) its table-level rights.
GRANT ALL PRIVILEGES ON `tessera\_%`.* TO 'tessera_admin'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON `tenant\_%`.* TO 'tessera_admin'@'%' WITH GRANT OPTION;
-- The migrator reads which table (and column) rights the accounts hold, so granting and dropping a
-- schema revoke only what is held (and every right held, also one the declarations no longer give).
GRANT SELECT ON mysql.tables_priv TO 'tessera_admin'@'%';
GRANT SELECT ON mysql.columns_priv TO 'tessera_admin'@'%';
-- The migrator creates and drops the accounts of dedicated tenants' workers only through root's
-- routines (account-routines.sql, run just before this file), never with CREATE USER.
GRANT EXECUTE ON PROCEDURE accounts_tessera.create_dedicated_worker_account TO 'tessera_admin'@'%';
GRANT EXECUTE ON PROCEDURE accounts_tessera.drop_dedicated_worker_account TO 'tessera_admin'@'%';
FLUSH PRIVILEGES;

-- Runs once, when the mysql container initialises an empty data volume.
-- The official image has already created the application user from MYSQL_USER / MYSQL_PASSWORD
-- (host '%', password from .env), so no password appears here. Like scripts/local-services.sh,
-- the app may create and own the control plane (tessera_*) and tenant schemas (tenant_*), and
-- nothing else on the server.
GRANT ALL PRIVILEGES ON `tessera\_%`.* TO 'tessera'@'%';
GRANT ALL PRIVILEGES ON `tenant\_%`.* TO 'tessera'@'%';
FLUSH PRIVILEGES;

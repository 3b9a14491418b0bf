-- Run as root (the server's own administrator), once per server and again on upgrade: the only
-- way the migrator account (tessera_admin) may create or remove a database account. It holds no
-- CREATE USER (that right would let it change any account's password, root's included); instead
-- it gets EXECUTE on these two SQL SECURITY DEFINER procedures, which create, re-password and drop
-- exactly the accounts of dedicated-tier tenants' workers (`tessera_workers_<tenant>`, README
-- "Dedicated-tier workers") and nothing else. Such an account is created with no right at all;
-- `tessera migrate` and the provisioning routines grant it its tenant's tables only.
-- The schema is outside the migrator's `tessera\_%` / `tenant\_%` grants, so it cannot replace them.
CREATE DATABASE IF NOT EXISTS accounts_tessera CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

DELIMITER //
DROP PROCEDURE IF EXISTS accounts_tessera.create_dedicated_worker_account //
CREATE DEFINER = CURRENT_USER PROCEDURE accounts_tessera.create_dedicated_worker_account(IN account_user VARCHAR(80), IN account_host VARCHAR(255), IN account_password VARCHAR(255))
SQL SECURITY DEFINER MODIFIES SQL DATA
BEGIN
  IF account_user IS NULL OR account_user NOT REGEXP '^tessera_workers_[a-z][a-z0-9_]{2,31}$' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'not a dedicated worker account name';
  END IF;
  IF account_host IS NULL OR account_host NOT REGEXP '^[A-Za-z0-9.%:_-]{1,255}$' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'not an account host';
  END IF;
  IF account_password IS NULL OR CHAR_LENGTH(account_password) < 16 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a dedicated worker account needs a password of at least 16 characters';
  END IF;
  -- No plain-text session, like every service account; re-running sets the password given.
  SET @tessera_account_sql = CONCAT('CREATE USER IF NOT EXISTS ', QUOTE(account_user), '@', QUOTE(account_host), ' IDENTIFIED BY ', QUOTE(account_password), ' REQUIRE SSL');
  PREPARE statement FROM @tessera_account_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
  SET @tessera_account_sql = CONCAT('ALTER USER ', QUOTE(account_user), '@', QUOTE(account_host), ' IDENTIFIED BY ', QUOTE(account_password), ' REQUIRE SSL');
  PREPARE statement FROM @tessera_account_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
  SET @tessera_account_sql = NULL;
END //

DROP PROCEDURE IF EXISTS accounts_tessera.drop_dedicated_worker_account //
CREATE DEFINER = CURRENT_USER PROCEDURE accounts_tessera.drop_dedicated_worker_account(IN account_user VARCHAR(80), IN account_host VARCHAR(255))
SQL SECURITY DEFINER MODIFIES SQL DATA
BEGIN
  IF account_user IS NULL OR account_user NOT REGEXP '^tessera_workers_[a-z][a-z0-9_]{2,31}$' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'not a dedicated worker account name';
  END IF;
  IF account_host IS NULL OR account_host NOT REGEXP '^[A-Za-z0-9.%:_-]{1,255}$' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'not an account host';
  END IF;
  SET @tessera_account_sql = CONCAT('DROP USER IF EXISTS ', QUOTE(account_user), '@', QUOTE(account_host));
  PREPARE statement FROM @tessera_account_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
  SET @tessera_account_sql = NULL;
END //
DELIMITER ;

import { quoteIdentifier } from '../tenant-id';
import { serviceNames } from '../ownership/table-ownership';
import { serviceAccountUser } from './service-grants';
import { accountRoutinesSchema, dedicatedWorkerAccountsTable, dedicatedWorkerLedgerStatement, dedicatedWorkerViewStatement } from './dedicated-worker-accounts';

/**
 * Stored procedures, created by the migrator in the control schema with SQL SECURITY DEFINER, that
 * let the tenants service provision and deprovision a tenant schema without holding DDL, GRANT
 * OPTION, or any right on a tenant's rows:
 *
 * - `provision_tenant_schema(name, tier)` creates `name` as a copy of the tenant template schema (kept at
 *   each service's latest tenant migration by the migrate step): every table it holds (`CREATE
 *   TABLE … LIKE`), so a table a service's new migration adds is copied without a change here, their
 *   foreign keys, the template's seed rows (e.g. the job submit guard, zeroed quota counters) and
 *   each service's migration history table (rows included, so the new schema is recorded as being at
 *   the template's migrations); then gives every service account its table rights (below). Re-running it on
 *   a half-created schema creates only what is missing.
 * - `grant_tenant_tables(name, tier)` gives each service account exactly the rights listed for it in
 *   `service_table_grants` (written by the migrate step from the services' ownership declarations)
 *   on each table of `name`, and takes away every other right, so the rights follow the declarations;
 *   the shared worker pool's account only while the tenant is on the shared tier (the tier: the
 *   tenants row next to the control plane, the `tier` argument on a region server).
 * - `drop_tenant_schema(name)` revokes every service account's rights on the schema (MySQL keeps
 *   table grants past a DROP and would hand them to a later schema of the same name), then drops it.
 * - `tenant_schema_exists(name)`: information_schema shows an account only the schemas it has a
 *   right in, so the tenants service asks through the definer to spot a schema it did not create.
 *
 * Each takes only a name matching `tenant_…` (the names tenantSchemaName builds), so the tenants
 * account can touch no control-plane or foreign schema through them; creating and dropping also
 * need a row for that tenant in this control plane (the provisioner writes it first and deletes it
 * last). A row alone is not enough: the tenants account owns the tenants table and could register
 * one named after any schema, so the routines also keep a ledger of the schemas they created
 * (`provisioned_tenant_schemas`, which no service account can read or write; `tessera migrate`
 * enters the schemas of existing tenants when it first creates it). Creating refuses a schema of
 * that name that exists but is not in the ledger; dropping and re-granting refuse one not in it. So
 * another deployment's (or application's) `tenant_…` schemas on the same server are out of reach.
 * The procedures' bodies are the only SQL that runs with the migrator's rights on its behalf.
 *
 * A region server (REGION_DATABASES) has no control plane, so no `tenants` row to check: its
 * routines (in its anchor schema, named like the control schema) keep a ledger of the schemas they
 * created instead (`region_tenant_schemas`). Creating refuses a schema of that name that exists but
 * is not in the ledger, dropping refuses one not in it: another deployment's schemas on a shared
 * region server are out of reach the same way.
 */
export const tenantSchemaNamePattern = '^tenant_[a-z0-9_]{3,40}$';

export const grantsTable = 'service_table_grants';

export function templateSchemaName(controlSchema: string): string {
  return `${controlSchema}_tpl`;
}

export const procedureNames = ['provision_tenant_schema', 'grant_tenant_tables', 'drop_tenant_schema'] as const;
export const functionNames = ['tenant_schema_exists'] as const;

/** On a region server: the schemas its routines created (their `ours` check). */
export const regionLedgerTable = 'region_tenant_schemas';
/** Next to the control plane: the schemas its routines created. */
export const controlLedgerTable = 'provisioned_tenant_schemas';

/**
 * Brings a grants list made by an earlier version up to this one's columns (run after
 * `procedureStatements`; MySQL 8 has no ADD COLUMN IF NOT EXISTS).
 */
export async function upgradeGrantsTable(server: { query(sql: string, values?: unknown[]): Promise<unknown> }, control: string): Promise<void> {
  const rows = (await server.query('SELECT 1 AS present FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?', [control, grantsTable, 'insert_columns'])) as unknown[];
  if (rows.length === 0) await server.query(`ALTER TABLE ${quoteIdentifier(control)}.${grantsTable} ADD COLUMN insert_columns VARCHAR(2048) NOT NULL DEFAULT ''`);
}

/** The ledger of the schemas the routines created, on that kind of server. */
export function ledgerTableOf(server: 'control-plane' | 'region'): string {
  return server === 'region' ? regionLedgerTable : controlLedgerTable;
}

/**
 * DDL of the grants table and the routines, for the control schema `control` (statements, in
 * order); `server` says whether they go next to the control plane or into a region server's anchor.
 */
export function procedureStatements(control: string, server: 'control-plane' | 'region' = 'control-plane'): string[] {
  const c = quoteIdentifier(control);
  const template = templateSchemaName(control);
  const check = `IF target IS NULL OR target NOT REGEXP '${tenantSchemaNamePattern}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'not a tenant schema name'; END IF;`;
  const ledger = `${c}.${ledgerTableOf(server)}`;
  const exists = `EXISTS (SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = target)`;
  // The schemas these routines made, or none of that name yet: not another deployment's on the same server.
  const made = `IF ${exists} AND NOT EXISTS (SELECT 1 FROM ${ledger} WHERE schema_name = target) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'that schema was not made by this deployment'; END IF;`;
  // Creating and dropping are also for this control plane's own tenants (a row exists while a tenant
  // is provisioned, and until its schema is gone). A region server has no tenants table.
  const ours =
    server === 'control-plane'
      ? `IF NOT EXISTS (SELECT 1 FROM ${c}.tenants WHERE CONCAT('tenant_', REPLACE(id, '-', '_')) = target) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no tenant of this control plane has that schema'; END IF;
         ${made}`
      : made;
  // The shared pool's account holds its rights on a shared-tier tenant's tables only: a dedicated
  // tenant's rows are its own workers' (README, Trust boundaries), so a leaked shared password
  // reaches none of them. The control plane reads the tier from the tenants table (a caller's tier,
  // if given, must be that one, so no caller believes it granted what it did not); a region server
  // has no tenants table and takes the tier from its caller (the tenants service, which can change
  // the tier in the control plane anyway, or the migrator reading it there).
  const tierOfTarget =
    server === 'control-plane'
      ? `SET known_tier = (SELECT t.tier FROM ${c}.tenants t WHERE CONCAT('tenant_', REPLACE(t.id, '-', '_')) = target LIMIT 1);
         IF target_tier IS NOT NULL AND (known_tier IS NULL OR target_tier <> known_tier) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'that is not the tenant''s tier in this control plane'; END IF;`
      : `IF target_tier IS NULL OR target_tier NOT IN ('shared', 'dedicated') THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a region server needs the tenant''s tier (shared or dedicated)'; END IF;
         SET known_tier = target_tier;`;
  const sharedWorkersAccount = serviceAccountUser('workers');
  // What an account holds is read from mysql.tables_priv (the migrator, their definer, may read it):
  // a REVOKE is sent only where there is a right to take, and every right a service account holds
  // on the schema is seen, including one its declarations no longer give (a table it owned once)
  // and one on a table that no longer exists (MariaDB keeps it and would hand it to a later table
  // of that name). A REVOKE of nothing costs as much as one that takes a right: one per table and
  // account was most of a provisioning, an erasure and a migrate over many tenants.
  // The rights held on the schema are read from mysql.tables_priv once per call, into a keyed
  // temporary table in the grant list's collation: a lookup per listed table and account straight on
  // tables_priv cannot use its key across the collations and scanned it every time (1.2 s a call).
  // Column-level INSERT (a table's `insert_columns` in the list) is read the same way, from
  // mysql.columns_priv, with whether the account holds a table-level INSERT there.
  const heldRights = 'tessera_held_table_rights';
  const heldColumns = 'tessera_held_insert_columns';
  const loadHeldRights = `CREATE TEMPORARY TABLE IF NOT EXISTS ${heldRights} (
         account_user VARCHAR(128) NOT NULL,
         account_host VARCHAR(255) NOT NULL,
         table_name VARCHAR(64) NOT NULL,
         table_insert TINYINT NOT NULL,
         PRIMARY KEY (account_user, account_host, table_name)
       ) ENGINE=MEMORY DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
       DELETE FROM ${heldRights};
       INSERT IGNORE INTO ${heldRights} (account_user, account_host, table_name, table_insert)
         SELECT User, Host, Table_name, FIND_IN_SET('Insert', Table_priv) > 0 FROM mysql.tables_priv WHERE Db = target;
       CREATE TEMPORARY TABLE IF NOT EXISTS ${heldColumns} (
         account_user VARCHAR(128) NOT NULL,
         account_host VARCHAR(255) NOT NULL,
         table_name VARCHAR(64) NOT NULL,
         column_name VARCHAR(64) NOT NULL,
         PRIMARY KEY (account_user, account_host, table_name, column_name)
       ) ENGINE=MEMORY DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
       DELETE FROM ${heldColumns};
       INSERT IGNORE INTO ${heldColumns} (account_user, account_host, table_name, column_name)
         SELECT User, Host, Table_name, Column_name FROM mysql.columns_priv WHERE Db = target AND FIND_IN_SET('Insert', Column_priv) > 0;`;
  const heldOn = (user: string, host: string, table: string) =>
    `EXISTS (SELECT 1 FROM ${heldRights} h WHERE h.account_user = ${user} AND h.account_host = ${host} AND h.table_name = ${table})`;
  const heldColumnsOf = (user: string, host: string, table: string) => `${heldColumns} h WHERE h.account_user = ${user} AND h.account_host = ${host} AND h.table_name = ${table}`;
  // INSERT on exactly the listed columns (`cols`, comma-separated): a table-level INSERT or INSERT on a
  // column not listed is taken first (REVOKE INSERT takes every column's too: there is no other way
  // to narrow it), then the columns are given; when only columns are missing they are added without
  // taking anything, so an up-to-date account is never without its right.
  const grantInsertColumns = (user: string, host: string, table: string) => `IF cols <> '' THEN
           IF EXISTS (SELECT 1 FROM ${heldRights} h WHERE h.account_user = ${user} AND h.account_host = ${host} AND h.table_name = ${table} AND h.table_insert)
              OR EXISTS (SELECT 1 FROM ${heldColumnsOf(user, host, table)} AND FIND_IN_SET(h.column_name, cols) = 0) THEN
             BEGIN
               DECLARE CONTINUE HANDLER FOR 1141, 1147 BEGIN END;
               SET @tessera_sql = CONCAT('REVOKE INSERT ON \`', target, '\`.\`', ${table}, '\` FROM ''', ${user}, '''@''', ${host}, '''');
               PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
             END;
             DELETE h FROM ${heldColumnsOf(user, host, table)};
           END IF;
           IF (SELECT COUNT(*) FROM ${heldColumnsOf(user, host, table)} AND FIND_IN_SET(h.column_name, cols) > 0) < LENGTH(cols) - LENGTH(REPLACE(cols, ',', '')) + 1 THEN
             SET @tessera_sql = CONCAT('GRANT INSERT (\`', REPLACE(cols, ',', '\`, \`'), '\`) ON \`', target, '\`.\`', ${table}, '\` TO ''', ${user}, '''@''', ${host}, '''');
             PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
           END IF;
         END IF;`;
  // The list's privileges and columns go into the statements these definer routines prepare: only
  // the migrator writes the list, but an entry that is not a plain privilege list or column list
  // stops the routine rather than being run with the definer's rights.
  const wellFormed = (grant: string, revoke: string, columns: string) =>
    `IF CONCAT(${grant}, ',', ${revoke}) NOT REGEXP '^[A-Za-z ,]*$' OR ${columns} NOT REGEXP '^([a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*)*)?$' THEN
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the grant list holds an entry that is not a privilege or column list';
         END IF;`;
  const serviceAccounts = serviceNames.map((name) => `'${serviceAccountUser(name)}'`).join(', ');
  const revokeHeld = (user: string, host: string, table: string) => `BEGIN
             -- 1141/1147: taken meanwhile by a concurrent run; nothing left to take.
             DECLARE CONTINUE HANDLER FOR 1141, 1147 BEGIN END;
             SET @tessera_sql = CONCAT('REVOKE ALL PRIVILEGES ON \`', target, '\`.\`', ${table}, '\` FROM ''', ${user}, '''@''', ${host}, '''');
             PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
           END;`;
  /** Revokes every right the open-able `cursor` lists (user, host, table), until `done` is set. */
  const revokeEachListed = (cursor: string, done: string, [user, host, table]: [string, string, string]) => `OPEN ${cursor};
       ${cursor}_each: LOOP
         FETCH ${cursor} INTO ${user}, ${host}, ${table};
         IF ${done} THEN LEAVE ${cursor}_each; END IF;
         ${revokeHeld(user, host, table)}
       END LOOP;
       CLOSE ${cursor};`;
  const recordCreated = `INSERT IGNORE INTO ${ledger} (schema_name, created_at) VALUES (target, NOW());`;
  const recordDropped = `DELETE FROM ${ledger} WHERE schema_name = target;`;
  // A dedicated tenant's workers' own account (dedicated-worker-accounts.ts) is granted and revoked
  // with the schema of its tenant: the workers' list rows, on that one schema. Every server keeps
  // its own ledger of those accounts (the account exists where its tenant's schema lives, and on the
  // control plane's server for the directory view); dropping the schema drops the accounts too.
  const dedicatedAccounts = `${c}.${dedicatedWorkerAccountsTable}`;
  const ofTarget = `CONCAT('tenant_', REPLACE(d.tenant_id, '-', '_')) = target`;
  const grantDedicated = `BEGIN
         DECLARE d_done INT DEFAULT 0;
         DECLARE d_user, d_host, d_table, d_grant, d_revoke VARCHAR(255);
         DECLARE d_held INT;
         DECLARE dedicated CURSOR FOR
           SELECT d.account_user, d.account_host, t.TABLE_NAME, COALESCE(w.grant_privileges, ''), COALESCE(w.revoke_privileges, 'ALL PRIVILEGES'),
                  ${heldOn('d.account_user', 'd.account_host', 't.TABLE_NAME')}
             FROM information_schema.TABLES t
             JOIN ${dedicatedAccounts} d ON ${ofTarget}
             LEFT JOIN (SELECT DISTINCT table_name, grant_privileges, revoke_privileges FROM ${c}.${grantsTable} WHERE account_user = '${sharedWorkersAccount}') w ON w.table_name = t.TABLE_NAME
            WHERE t.TABLE_SCHEMA = target AND t.TABLE_TYPE = 'BASE TABLE'
            ORDER BY t.TABLE_NAME;
         DECLARE CONTINUE HANDLER FOR NOT FOUND SET d_done = 1;
         OPEN dedicated;
         each_dedicated: LOOP
           FETCH dedicated INTO d_user, d_host, d_table, d_grant, d_revoke, d_held;
           IF d_done THEN LEAVE each_dedicated; END IF;
           ${wellFormed('d_grant', 'd_revoke', "''")}
           IF d_grant <> '' THEN
             SET @tessera_sql = CONCAT('GRANT ', d_grant, ' ON \`', target, '\`.\`', d_table, '\` TO ''', d_user, '''@''', d_host, '''');
             PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
           END IF;
           IF d_revoke <> '' AND d_held THEN
             BEGIN
               DECLARE CONTINUE HANDLER FOR 1141, 1147 BEGIN END;
               SET @tessera_sql = CONCAT('REVOKE ', d_revoke, ' ON \`', target, '\`.\`', d_table, '\` FROM ''', d_user, '''@''', d_host, '''');
               PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
             END;
           END IF;
         END LOOP;
         CLOSE dedicated;
       END;`;
  const revokeDedicated = `BEGIN
         DECLARE d_done INT DEFAULT 0;
         DECLARE d_user, d_host, d_table VARCHAR(255);
         DECLARE dedicated CURSOR FOR
           SELECT p.User, p.Host, p.Table_name
             FROM mysql.tables_priv p
             JOIN ${dedicatedAccounts} d ON ${ofTarget} AND p.User = d.account_user AND p.Host = d.account_host
            WHERE p.Db = target;
         DECLARE CONTINUE HANDLER FOR NOT FOUND SET d_done = 1;
         ${revokeEachListed('dedicated', 'd_done', ['d_user', 'd_host', 'd_table'])}
       END;
       -- The tenant is going: its workers' account goes too (root's routine; the definer holds
       -- EXECUTE on it), so it no longer reads its directory row nor logs in here.
       BEGIN
         DECLARE a_done INT DEFAULT 0;
         DECLARE d_user, d_host VARCHAR(255);
         DECLARE accounts CURSOR FOR SELECT d.account_user, d.account_host FROM ${dedicatedAccounts} d WHERE ${ofTarget};
         DECLARE CONTINUE HANDLER FOR NOT FOUND SET a_done = 1;
         OPEN accounts;
         each_account: LOOP
           FETCH accounts INTO d_user, d_host;
           IF a_done THEN LEAVE each_account; END IF;
           CALL ${quoteIdentifier(accountRoutinesSchema)}.drop_dedicated_worker_account(d_user, d_host);
         END LOOP;
         CLOSE accounts;
       END;
       DELETE d FROM ${dedicatedAccounts} d WHERE ${ofTarget};`;
  const ledgerTable = [
    `CREATE TABLE IF NOT EXISTS ${ledger} (
       schema_name VARCHAR(64) NOT NULL PRIMARY KEY,
       created_at DATETIME NOT NULL
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  ];
  return [
    ...ledgerTable,
    dedicatedWorkerLedgerStatement(control),
    // The directory view reads the tenants table: the control plane's server only.
    ...(server === 'control-plane' ? [dedicatedWorkerViewStatement(control)] : []),
    `CREATE TABLE IF NOT EXISTS ${c}.${grantsTable} (
       account_user VARCHAR(80) NOT NULL,
       account_host VARCHAR(255) NOT NULL,
       table_name VARCHAR(64) NOT NULL,
       grant_privileges VARCHAR(64) NOT NULL,
       revoke_privileges VARCHAR(64) NOT NULL,
       insert_columns VARCHAR(2048) NOT NULL DEFAULT '',
       PRIMARY KEY (account_user, account_host, table_name)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    // DROP + CREATE rather than CREATE OR REPLACE, which MySQL 8 lacks for routines.
    `DROP FUNCTION IF EXISTS ${c}.tenant_schema_exists`,
    `CREATE DEFINER = CURRENT_USER FUNCTION ${c}.tenant_schema_exists(target VARCHAR(64)) RETURNS TINYINT
     SQL SECURITY DEFINER READS SQL DATA
     BEGIN
       ${check}
       RETURN EXISTS (SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = target);
     END`,
    `DROP PROCEDURE IF EXISTS ${c}.grant_tenant_tables`,
    `CREATE DEFINER = CURRENT_USER PROCEDURE ${c}.grant_tenant_tables(IN target VARCHAR(64), IN target_tier VARCHAR(16))
     SQL SECURITY DEFINER MODIFIES SQL DATA
     BEGIN
       DECLARE done INT DEFAULT 0;
       DECLARE known_tier VARCHAR(16) DEFAULT NULL;
       DECLARE a_user, a_host, t_name, g, r VARCHAR(255);
       DECLARE cols VARCHAR(2048);
       DECLARE held INT;
       -- What the list gives, on the schema's tables (and whether the account holds a right there already).
       DECLARE grants CURSOR FOR
         SELECT s.account_user, s.account_host, t.TABLE_NAME, s.grant_privileges, s.revoke_privileges, s.insert_columns,
                ${heldOn('s.account_user', 's.account_host', 't.TABLE_NAME')}
           FROM information_schema.TABLES t
           JOIN ${c}.${grantsTable} s ON s.table_name = t.TABLE_NAME
          WHERE t.TABLE_SCHEMA = target AND t.TABLE_TYPE = 'BASE TABLE'
          ORDER BY t.TABLE_NAME;
       -- Every right a service account holds on the schema that the list does not give it at all.
       DECLARE stale CURSOR FOR
         SELECT p.User, p.Host, p.Table_name
           FROM mysql.tables_priv p
          WHERE p.Db = target AND p.User IN (${serviceAccounts})
            AND NOT EXISTS (SELECT 1 FROM ${c}.${grantsTable} s WHERE s.account_user = p.User AND s.account_host = p.Host AND s.table_name = p.Table_name);
       DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
       ${check}
       ${made}
       ${tierOfTarget}
       ${loadHeldRights}
       OPEN grants;
       each_grant: LOOP
         FETCH grants INTO a_user, a_host, t_name, g, r, cols, held;
         IF done THEN LEAVE each_grant; END IF;
         ${wellFormed('g', 'r', 'cols')}
         IF a_user = '${sharedWorkersAccount}' AND NOT (known_tier <=> 'shared') THEN
           -- Not a shared-tier tenant (or none known): the shared pool keeps no right on its tables.
           SET g = '';
           SET r = 'ALL PRIVILEGES';
           SET cols = '';
         END IF;
         IF g <> '' THEN
           SET @tessera_sql = CONCAT('GRANT ', g, ' ON \`', target, '\`.\`', t_name, '\` TO ''', a_user, '''@''', a_host, '''');
           PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
         END IF;
         IF r <> '' AND held THEN
           BEGIN
             -- 1141/1147: the account holds no right on that table, so nothing to take away.
             DECLARE CONTINUE HANDLER FOR 1141, 1147 BEGIN END;
             SET @tessera_sql = CONCAT('REVOKE ', r, ' ON \`', target, '\`.\`', t_name, '\` FROM ''', a_user, '''@''', a_host, '''');
             PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
           END;
         END IF;
         ${grantInsertColumns('a_user', 'a_host', 't_name')}
       END LOOP;
       CLOSE grants;
       SET done = 0;
       ${revokeEachListed('stale', 'done', ['a_user', 'a_host', 't_name'])}
       ${grantDedicated}
       DROP TEMPORARY TABLE IF EXISTS ${heldRights};
       DROP TEMPORARY TABLE IF EXISTS ${heldColumns};
     END`,
    `DROP PROCEDURE IF EXISTS ${c}.provision_tenant_schema`,
    `CREATE DEFINER = CURRENT_USER PROCEDURE ${c}.provision_tenant_schema(IN target VARCHAR(64), IN target_tier VARCHAR(16))
     SQL SECURITY DEFINER MODIFIES SQL DATA
     BEGIN
       DECLARE done INT DEFAULT 0;
       DECLARE t_name VARCHAR(64);
       DECLARE fk_sql TEXT;
       DECLARE known_tier VARCHAR(16) DEFAULT NULL;
       DECLARE tables CURSOR FOR
         SELECT TABLE_NAME FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = '${template}' AND TABLE_TYPE = 'BASE TABLE'
            AND TABLE_NAME NOT IN (SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = target)
          ORDER BY TABLE_NAME;
       DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
       ${check}
       ${ours}
       -- The tier is checked before anything is made (the grants at the end need it).
       ${tierOfTarget}
       IF NOT EXISTS (SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${template}') THEN
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the tenant template schema is missing: run tessera migrate';
       END IF;
       ${recordCreated}
       SET @tessera_sql = CONCAT('CREATE DATABASE IF NOT EXISTS \`', target, '\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
       PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
       CREATE TEMPORARY TABLE IF NOT EXISTS tessera_created (name VARCHAR(64) PRIMARY KEY);
       DELETE FROM tessera_created;
       OPEN tables;
       each_table: LOOP
         FETCH tables INTO t_name;
         IF done THEN LEAVE each_table; END IF;
         SET @tessera_sql = CONCAT('CREATE TABLE \`', target, '\`.\`', t_name, '\` LIKE \`${template}\`.\`', t_name, '\`');
         PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
         SET @tessera_sql = CONCAT('INSERT INTO \`', target, '\`.\`', t_name, '\` SELECT * FROM \`${template}\`.\`', t_name, '\`');
         PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
         INSERT INTO tessera_created (name) VALUES (t_name);
       END LOOP;
       CLOSE tables;
       -- CREATE TABLE … LIKE copies columns, keys and checks but not foreign keys: add the template's.
       BEGIN
         DECLARE fk_done INT DEFAULT 0;
         DECLARE fks CURSOR FOR
           SELECT CONCAT('ALTER TABLE \`', target, '\`.\`', k.TABLE_NAME, '\` ADD CONSTRAINT \`', k.CONSTRAINT_NAME, '\` FOREIGN KEY (',
                         GROUP_CONCAT(CONCAT('\`', k.COLUMN_NAME, '\`') ORDER BY k.ORDINAL_POSITION SEPARATOR ', '), ') REFERENCES \`', target, '\`.\`', k.REFERENCED_TABLE_NAME, '\` (',
                         GROUP_CONCAT(CONCAT('\`', k.REFERENCED_COLUMN_NAME, '\`') ORDER BY k.ORDINAL_POSITION SEPARATOR ', '), ') ON DELETE ', MAX(r.DELETE_RULE), ' ON UPDATE ', MAX(r.UPDATE_RULE))
             FROM information_schema.KEY_COLUMN_USAGE k
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
            WHERE k.TABLE_SCHEMA = '${template}' AND k.REFERENCED_TABLE_NAME IS NOT NULL
              AND k.TABLE_NAME IN (SELECT name FROM tessera_created)
            GROUP BY k.TABLE_NAME, k.CONSTRAINT_NAME
            ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME;
         DECLARE CONTINUE HANDLER FOR NOT FOUND SET fk_done = 1;
         OPEN fks;
         each_fk: LOOP
           FETCH fks INTO fk_sql;
           IF fk_done THEN LEAVE each_fk; END IF;
           SET @tessera_sql = fk_sql;
           PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
         END LOOP;
         CLOSE fks;
       END;
       DROP TEMPORARY TABLE IF EXISTS tessera_created;
       CALL ${c}.grant_tenant_tables(target, target_tier);
     END`,
    `DROP PROCEDURE IF EXISTS ${c}.drop_tenant_schema`,
    `CREATE DEFINER = CURRENT_USER PROCEDURE ${c}.drop_tenant_schema(IN target VARCHAR(64))
     SQL SECURITY DEFINER MODIFIES SQL DATA
     BEGIN
       DECLARE done INT DEFAULT 0;
       DECLARE a_user, a_host, t_name VARCHAR(255);
       -- Every right a service account holds on the schema, on any table name.
       DECLARE grants CURSOR FOR
         SELECT p.User, p.Host, p.Table_name FROM mysql.tables_priv p WHERE p.Db = target AND p.User IN (${serviceAccounts});
       DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
       ${check}
       ${ours}
       ${revokeEachListed('grants', 'done', ['a_user', 'a_host', 't_name'])}
       ${revokeDedicated}
       SET @tessera_sql = CONCAT('DROP DATABASE IF EXISTS \`', target, '\`');
       PREPARE statement FROM @tessera_sql; EXECUTE statement; DEALLOCATE PREPARE statement;
       ${recordDropped}
     END`,
  ];
}

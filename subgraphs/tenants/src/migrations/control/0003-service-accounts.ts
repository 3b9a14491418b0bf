import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Control plane, owned by the tenants service: each tenant's service accounts and their API keys.
 * A key is stored only as the SHA-256 of its high-entropy secret (the id is the lookup handle);
 * its last use lives in `api_key_usage`, written in batches by the gateway, so the gateway needs no
 * right to change a key itself (it could otherwise un-revoke or extend one).
 */
export class ServiceAccounts1765000000003 implements MigrationInterface {
  name = 'ServiceAccounts1765000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_accounts (
        id CHAR(36) NOT NULL PRIMARY KEY,
        tenant_id VARCHAR(32) NOT NULL,
        name VARCHAR(64) NOT NULL,
        role VARCHAR(32) NOT NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_service_accounts_name (tenant_id, name),
        CONSTRAINT fk_service_accounts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE api_keys (
        id CHAR(16) NOT NULL PRIMARY KEY,
        tenant_id VARCHAR(32) NOT NULL,
        service_account_id CHAR(36) NOT NULL,
        secret_sha256 CHAR(64) NOT NULL,
        role VARCHAR(32) NOT NULL,
        operations JSON NULL,
        expires_at DATETIME(3) NOT NULL,
        revoked_at DATETIME(3) NULL,
        revoked_by VARCHAR(255) NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        KEY ix_api_keys_tenant (tenant_id, service_account_id),
        CONSTRAINT fk_api_keys_account FOREIGN KEY (service_account_id) REFERENCES service_accounts(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE api_key_usage (
        key_id CHAR(16) NOT NULL PRIMARY KEY,
        tenant_id VARCHAR(32) NOT NULL,
        last_used_at DATETIME(3) NOT NULL,
        last_source_ip VARCHAR(64) NULL,
        CONSTRAINT fk_api_key_usage_key FOREIGN KEY (key_id) REFERENCES api_keys(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['api_key_usage', 'api_keys', 'service_accounts']) await q.query(`DROP TABLE ${table}`);
  }
}

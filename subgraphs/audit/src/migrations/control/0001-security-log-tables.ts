import type { QueryRunner } from 'typeorm';
import { SingleSequenceBaseline } from '@tessera/tenancy';
import { eventColumns } from '../event-columns';

/**
 * Control plane: the platform security log (cross-tenant attempts, authentication failures that
 * name no tenant, platform-admin actions) and the index of who owns which resource id.
 *
 * The log has the design of a tenant's audit trail: `security_outbox` written in the caller's
 * transaction, relayed into the hash chain `security_events` (append-only for the service
 * account), heads signed into `security_checkpoints` (append-only). No foreign key to `tenants`:
 * erasing a tenant must not erase (or be blocked by) the platform's record of what it did.
 *
 * `resource_owners`: which tenant owns each id (datasets, models, versions, jobs). Tenant data
 * stays in tenant schemas; this index only lets a NOT_FOUND tell "never existed" from "another
 * tenant's", so a cross-tenant attempt can be recorded. It holds ids and types, nothing else, and
 * goes with its tenant: the foreign key to the tenants service's `tenants` table is why this
 * service migrates after that one (`after` in its migrations).
 */
export class SecurityLogTables1765000000001 extends SingleSequenceBaseline {
  name = 'SecurityLogTables1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE security_outbox (
        outbox_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,${eventColumns({ tenantId: true })},
        UNIQUE KEY uq_security_outbox_id (id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE security_events (
        seq BIGINT NOT NULL PRIMARY KEY,${eventColumns({ tenantId: true })},
        prev_hash CHAR(64) NOT NULL,
        hash CHAR(64) NOT NULL,
        UNIQUE KEY uq_security_events_id (id),
        KEY ix_security_events_tenant (tenant_id, seq),
        KEY ix_security_events_action (action, seq),
        KEY ix_security_events_time (occurred_at)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE security_checkpoints (
        seq BIGINT NOT NULL PRIMARY KEY,
        head_hash CHAR(64) NOT NULL,
        signed_at DATETIME(3) NOT NULL,
        key_id VARCHAR(64) NOT NULL,
        jws TEXT NOT NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE resource_owners (
        resource_id VARCHAR(64) NOT NULL,
        target_type VARCHAR(64) NOT NULL,
        tenant_id VARCHAR(32) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        PRIMARY KEY (resource_id, target_type),
        KEY ix_resource_owners_tenant (tenant_id),
        CONSTRAINT fk_resource_owners_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['resource_owners', 'security_checkpoints', 'security_events', 'security_outbox']) await q.query(`DROP TABLE ${table}`);
  }
}

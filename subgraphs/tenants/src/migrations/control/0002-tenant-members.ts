import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Control plane, owned by the tenants service: who belongs to each tenant and with which role.
 * A member is invited by OIDC subject or by e-mail; an e-mail invitation is bound to the subject
 * of the first sign-in whose token carries that e-mail verified (`member_bindings`, written by the
 * gateway, which holds INSERT on it and nothing but SELECT on `tenant_members`). Removing a member
 * (or erasing the tenant) removes the binding with it.
 */
export class TenantMembers1765000000002 implements MigrationInterface {
  name = 'TenantMembers1765000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_members (
        id CHAR(36) NOT NULL PRIMARY KEY,
        tenant_id VARCHAR(32) NOT NULL,
        subject VARCHAR(255) NULL,
        email VARCHAR(320) NULL,
        role VARCHAR(32) NOT NULL,
        invited_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_tenant_members_subject (tenant_id, subject),
        UNIQUE KEY uq_tenant_members_email (tenant_id, email),
        KEY ix_tenant_members_role (tenant_id, role),
        CONSTRAINT fk_tenant_members_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE member_bindings (
        member_id CHAR(36) NOT NULL PRIMARY KEY,
        tenant_id VARCHAR(32) NOT NULL,
        subject VARCHAR(255) NOT NULL,
        bound_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_member_bindings_subject (tenant_id, subject),
        CONSTRAINT fk_member_bindings_member FOREIGN KEY (member_id) REFERENCES tenant_members(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE member_bindings');
    await q.query('DROP TABLE tenant_members');
  }
}

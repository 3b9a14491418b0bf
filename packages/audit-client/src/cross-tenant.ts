import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { errors, type TesseraError } from '@tessera/errors';
import { quoteIdentifier, tenantDatabase, tenantSchemaName, type TenantScope } from '@tessera/tenancy';
import { recordAuditEvent, type AuditEventInput } from './audit-event';
import { controlSchemaOf, findResourceOwner } from './resource-owner';
import { recordAfterAnswer } from './deferred-record';
import { recordSecurityEvent } from './security-event';

export const crossTenantAction = 'cross_tenant_attempt';

/**
 * Builds the NOT_FOUND for an id the caller's tenant does not hold. When the id belongs to another
 * tenant, the attempt is recorded in the caller's own audit log (its admins see their user probing,
 * not whose id it was) and in the platform security log (with both tenants), in one transaction.
 * The caller gets the very same NOT_FOUND either way, after the same work: the owner lookup and the
 * record run after the answer (recordAfterAnswer), and a failure to record is only a warning.
 */
export async function notFoundAcrossTenants(scope: TenantScope, targetType: string, id: string): Promise<TesseraError> {
  await recordCrossTenantAttempt(scope, targetType, id);
  return errors.notFound(targetType, id);
}

/**
 * The record of notFoundAcrossTenants alone, for a lookup whose NOT_FOUND names a compound handle
 * (e.g. `predict` by model id and version: "ModelVersion <id>@1") while the id it probed is `id`
 * of `targetType`: recorded when that id belongs to another tenant, after the answer.
 */
export async function recordCrossTenantAttempt(scope: TenantScope, targetType: string, id: string): Promise<void> {
  await recordAfterAnswer(() =>
    scope.transaction(async (manager) => {
      const owner = await findResourceOwner(manager, targetType, id);
      if (!owner || owner === scope.tenant.id) return;
      await recordAuditEvent(manager, scope.principal, { action: crossTenantAction, targetType, targetId: id, outcome: 'DENIED' });
      await recordSecurityEvent(manager, scope.principal, {
        tenantId: scope.tenant.id,
        action: crossTenantAction,
        targetType,
        targetId: id,
        outcome: 'DENIED',
        details: { ownerTenant: owner },
      });
    }),
  );
}

/**
 * Writes an audit event into the log of a tenant known only by id (the gateway's authentication
 * failures, key events), on a pooled connection switched to that tenant's schema and back.
 * Callers check the tenant exists first: an unknown id has no log.
 */
export async function recordInTenantLog(db: DataSource, tenantId: string, actor: Principal, event: AuditEventInput): Promise<void> {
  await withTenantSchema(db, tenantId, (manager) => recordAuditEvent(manager, actor, event));
}

async function withTenantSchema<T>(db: DataSource, tenantId: string, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  // On the server holding the tenant's schema (REGION_DATABASES); its pool's default schema is named like the control plane.
  const runner = (await tenantDatabase(db, tenantId)).createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`USE ${quoteIdentifier(tenantSchemaName(tenantId))}`);
    return await fn(runner.manager);
  } finally {
    try {
      await runner.query(`USE ${quoteIdentifier(controlSchemaOf(runner.manager))}`);
      await runner.release();
    } catch {
      // A connection left in a tenant schema must never be reused.
      await runner.release().catch(() => undefined);
      (runner as unknown as { databaseConnection?: { destroy?: () => void } }).databaseConnection?.destroy?.();
    }
  }
}

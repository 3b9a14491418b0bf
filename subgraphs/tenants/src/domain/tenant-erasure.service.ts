import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordInTenantLog, recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { advisoryLockName, assertTenantId, isTenantId, quoteIdentifier, withAdvisoryLock, type TenantProvisioner, type TenantStore } from '@tessera/tenancy';
import { parseUuid } from '@tessera/service-kit';
import { managedTenant, notFoundInTenant } from './access-admin';
import { tenantIdHash } from './erasure-receipt';

export type ErasureStatus = 'PENDING' | 'CANCELLED' | 'RUNNING' | 'ERASED';

export interface TenantErasure {
  id: string;
  /** Null once erased: the request then names the tenant only by pseudonym and id hash. */
  tenantId: string | null;
  /** Set when the erasure runs (HMAC with the platform's pseudonym secret). */
  tenantPseudonym: string | null;
  tenantIdHash: string;
  status: ErasureStatus;
  requestedAt: Date;
  scheduledFor: Date;
  cancelledAt: Date | null;
  erasedAt: Date | null;
  /** The signed receipt (compact JWS), once erased. */
  receipt: string | null;
}

export interface TenantErasureDeps {
  db: DataSource;
  controlSchema: string;
  store: TenantStore;
  provisioner: TenantProvisioner;
  /** ERASURE_GRACE_HOURS: how long a request can still be cancelled (0 in tests). */
  graceHours: number;
  /** Tells every service process that the tenant's record changed (the suspension bites at once). */
  announce: (tenantId: string) => Promise<void>;
}

interface ErasureRow {
  id: string;
  tenant_id: string | null;
  tenant_pseudonym: string | null;
  tenant_id_hash: string;
  status: ErasureStatus;
  requested_at: Date;
  scheduled_for: Date;
  cancelled_at: Date | null;
  erased_at: Date | null;
  receipt: string | null;
}

/** The tenant's erasure request still to be carried out (PENDING or RUNNING), if any. */
async function openErasureOf(deps: { db: DataSource; controlSchema: string }, tenantId: string): Promise<TenantErasure | undefined> {
  const table = `${quoteIdentifier(deps.controlSchema)}.tenant_erasures`;
  const rows = (await deps.db.query(`SELECT * FROM ${table} WHERE tenant_id = ? AND status IN ('PENDING', 'RUNNING') LIMIT 1`, [tenantId])) as ErasureRow[];
  return rows[0] ? toErasure(rows[0]) : undefined;
}

/** The lock a request is recorded under (one open request per tenant). */
function withErasureRequestLock<T>(deps: { db: DataSource; controlSchema: string }, tenantId: string, fn: () => Promise<T>): Promise<T> {
  const lock = advisoryLockName('erasure_req', deps.controlSchema, tenantId);
  return withAdvisoryLock(deps.db, lock, { waitSeconds: 10, busyMessage: `An erasure request for tenant ${tenantId} is being recorded; try again.`, tenantId }, fn);
}

/**
 * Runs `resume` unless an erasure of the tenant is open: a tenant pending erasure stays suspended
 * until the request is cancelled (which resumes it) or carried out, so its members never go back
 * to writing into data that is about to be destroyed. CONFLICT with reason ERASURE_PENDING and the
 * request's id otherwise. Under the lock requests are recorded with, so a resume and a request
 * never both win.
 */
export function resumeUnlessErasurePending<T>(deps: { db: DataSource; controlSchema: string }, tenantId: string, resume: () => Promise<T>): Promise<T> {
  if (!isTenantId(tenantId)) return resume(); // the resume itself refuses the id as bad input
  return withErasureRequestLock(deps, tenantId, async () => {
    const open = await openErasureOf(deps, tenantId);
    if (open) {
      throw errors.conflict(`Tenant ${tenantId} has an erasure ${open.status.toLowerCase()}: it stays suspended until the erasure is cancelled (cancelTenantErasure resumes it).`, {
        reason: 'ERASURE_PENDING',
        requestId: open.id,
      });
    }
    return resume();
  });
}

/**
 * Runs a platform admin's suspension and, when an erasure of the tenant is pending, notes it on the
 * request (`progress.suspendedDuring`): the erasure already holds the tenant suspended, so the
 * suspension changes nothing now, but cancelling the erasure must then leave the tenant suspended
 * rather than resume it (a suspension for abuse would otherwise be undone by the tenant's own admin
 * cancelling). Under the lock requests and cancellations are recorded with.
 */
export function suspendNotingErasure<T>(deps: { db: DataSource; controlSchema: string }, tenantId: string, suspend: () => Promise<T>): Promise<T> {
  if (!isTenantId(tenantId)) return suspend(); // the suspension itself refuses the id as bad input
  return withErasureRequestLock(deps, tenantId, async () => {
    const done = await suspend();
    const table = `${quoteIdentifier(deps.controlSchema)}.tenant_erasures`;
    const rows = (await deps.db.query(`SELECT id, progress FROM ${table} WHERE tenant_id = ? AND status = 'PENDING' LIMIT 1`, [tenantId])) as Array<{ id: string; progress: unknown }>;
    const pending = rows[0];
    if (pending) {
      const progress = { ...parseProgress(pending.progress), suspendedDuring: true };
      await deps.db.query(`UPDATE ${table} SET progress = ?, updated_at = ? WHERE id = ? AND status = 'PENDING'`, [JSON.stringify(progress), new Date(), pending.id]);
    }
    return done;
  });
}

/**
 * cancelTenantErasure of a request that is no longer pending: CONFLICT naming its status as it is
 * now. A cancel that lost to another cancel sent at the same time said "has started" before.
 */
function notPending(erasure: Pick<TenantErasure, 'id' | 'status'>): Error {
  const what = erasure.status === 'RUNNING' ? 'has started: it can no longer be cancelled' : `is ${erasure.status.toLowerCase()}: only a pending one can be cancelled`;
  return errors.conflict(`Erasure ${erasure.id} ${what}.`, { reason: 'ERASURE_NOT_PENDING', status: erasure.status });
}

/** The driver hands JSON columns back parsed or as text depending on the server. */
function parseProgress(raw: unknown): Record<string, unknown> {
  const value: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Runs a change of a tenant's settings unless an erasure of it is pending or running (CONFLICT,
 * reason ERASURE_PENDING, with the request's id): a tenant on its way out is not reconfigured,
 * and a cancelled erasure gives it back as it was.
 */
export function changeUnlessErasurePending<T>(deps: { db: DataSource; controlSchema: string }, tenantId: string, what: string, change: () => Promise<T>): Promise<T> {
  if (!isTenantId(tenantId)) return change(); // the change itself refuses the id as bad input
  return withErasureRequestLock(deps, tenantId, async () => {
    const open = await openErasureOf(deps, tenantId);
    if (open) {
      throw errors.conflict(`Tenant ${tenantId} has an erasure ${open.status.toLowerCase()}: its ${what} is not changed (cancelTenantErasure first).`, {
        reason: 'ERASURE_PENDING',
        requestId: open.id,
      });
    }
    return change();
  });
}

/**
 * Asking for a tenant's erasure, and cancelling it during the grace period. A tenant admin asks for
 * its own tenant (naming another: NOT_FOUND), a platform admin names the tenant; both repeat the
 * tenant id as `confirm`. The tenant is suspended at once: nothing more is written into data that
 * is about to go, and no member keeps using a tenant its admin asked to erase. Cancelling resumes it.
 */
export class TenantErasureService {
  private readonly table: string;

  constructor(
    private readonly principal: Principal,
    private readonly deps: TenantErasureDeps,
  ) {
    this.table = `${quoteIdentifier(deps.controlSchema)}.tenant_erasures`;
  }

  async request(requested: string | null | undefined, confirm: string): Promise<TenantErasure> {
    const tenantId = await managedTenant(this.principal, requested, { tenants: this.deps.store, db: this.deps.db });
    if (confirm !== tenantId) throw errors.badInput('confirm must repeat the tenant id: erasure destroys every byte of the tenant.', { field: 'confirm' });
    // One request per tenant: the check for an open one and the insert run under the tenant's lock
    // (without it, parallel requests each found none and each inserted one: a cancel left the others).
    return withErasureRequestLock(this.deps, tenantId, () => this.insertRequest(tenantId));
  }

  private async insertRequest(tenantId: string): Promise<TenantErasure> {
    const tenant = await this.deps.store.find(tenantId);
    if (!tenant || tenant.status === 'PROVISIONING') throw errors.notFound('Tenant', tenantId);
    const open = await openErasureOf(this.deps, tenantId);
    if (open) throw errors.conflict(`An erasure of tenant ${tenantId} is already requested.`, { reason: 'ERASURE_PENDING', requestId: open.id });
    const now = new Date();
    const scheduledFor = new Date(now.getTime() + this.deps.graceHours * 3_600_000);
    const id = randomUUID();
    await this.deps.db.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO ${this.table} (id, tenant_id, tenant_id_hash, status, requested_by, requested_at, scheduled_for, progress, updated_at) VALUES (?, ?, ?, 'PENDING', ?, ?, ?, ?, ?)`,
        [id, tenantId, tenantIdHash(tenantId), this.principal.subject, now, scheduledFor, JSON.stringify({ suspendedBefore: tenant.status === 'SUSPENDED' }), now],
      );
      await recordSecurityEvent(manager, this.principal, {
        action: 'tenant.erasure.request',
        targetType: 'Tenant',
        targetId: tenantId,
        tenantId,
        outcome: 'SUCCESS',
        details: { requestId: id, scheduledFor: scheduledFor.toISOString(), wasSuspended: tenant.status === 'SUSPENDED' },
      });
    });
    await recordInTenantLog(this.deps.db, tenantId, this.principal, { action: 'tenant.erasure.request', targetType: 'Tenant', targetId: tenantId, outcome: 'SUCCESS', details: { requestId: id, scheduledFor: scheduledFor.toISOString() } });
    if (tenant.status !== 'SUSPENDED') {
      await this.deps.provisioner.setSuspended(tenantId, true);
      await this.deps.announce(tenantId);
    }
    return this.require(id);
  }

  /**
   * provisionTenant: refused for an id whose erasure is running. From the step that removes the
   * tenant's rows to the receipt, the id is free in the control plane, but the runner still has to
   * sweep Redis and pseudonymise the security log by that id, and the audit service signs the
   * receipt only while no tenant has it: a tenant provisioned in between would lose its keys and
   * entries, and the erasure would never finish.
   */
  async provisionUnlessErasing<T>(tenantId: unknown, provision: () => Promise<T>): Promise<T> {
    if (typeof tenantId === 'string' && isTenantId(tenantId)) {
      const rows = (await this.deps.db.query(`SELECT id FROM ${this.table} WHERE tenant_id = ? AND status = 'RUNNING' LIMIT 1`, [tenantId])) as Array<{ id: string }>;
      if (rows[0]) throw errors.conflict(`Tenant ${tenantId} is being erased: provision it again once the erasure is done.`, { reason: 'ERASURE_RUNNING', requestId: rows[0].id });
    }
    return provision();
  }

  /**
   * During the grace period only; the tenant is resumed (unless a platform admin suspended it before
   * the request or while it was pending). Under the lock requests, suspensions and resumes of the
   * tenant take: a suspension sent at the same moment either comes first and is noted on the
   * request (the cancel then leaves the tenant suspended) or comes after the resume and suspends it
   * again. Before, the cancel took no lock: the suspension found the request already cancelled and
   * noted nothing, answered SUSPENDED, and the cancel resumed the tenant right after.
   */
  async cancel(requestId: string): Promise<TenantErasure> {
    const erasure = await this.visible(requestId);
    if (erasure.status !== 'PENDING') throw notPending(erasure);
    return withErasureRequestLock(this.deps, erasure.tenantId!, () => this.cancelPending(erasure));
  }

  private async cancelPending(erasure: TenantErasure): Promise<TenantErasure> {
    const requestId = erasure.id;
    const tenantId = erasure.tenantId!;
    const now = new Date();
    const changed = await this.deps.db.transaction(async (manager) => {
      // The runner takes a request only from PENDING, under the same row: a cancel and a start never both win.
      const result = (await manager.query(`UPDATE ${this.table} SET status = 'CANCELLED', cancelled_at = ?, updated_at = ? WHERE id = ? AND status = 'PENDING'`, [now, now, requestId])) as { affectedRows?: number };
      if (!result.affectedRows) return false;
      await recordSecurityEvent(manager, this.principal, { action: 'tenant.erasure.cancel', targetType: 'Tenant', targetId: tenantId, tenantId, outcome: 'SUCCESS', details: { requestId } });
      return true;
    });
    // Taken meanwhile by the runner, or cancelled by a cancel sent at the same time: say which.
    if (!changed) throw notPending((await this.find(requestId)) ?? { ...erasure, status: 'RUNNING' });
    const wasSuspended = await this.wasSuspendedBefore(requestId);
    if (!wasSuspended) {
      await this.deps.provisioner.setSuspended(tenantId, false);
      await this.deps.announce(tenantId);
    }
    await recordInTenantLog(this.deps.db, tenantId, this.principal, { action: 'tenant.erasure.cancel', targetType: 'Tenant', targetId: tenantId, outcome: 'SUCCESS', details: { requestId } });
    return this.require(requestId);
  }

  /** A request by id: platform admins see any (the receipt after the tenant is gone), a tenant admin its own tenant's. */
  async get(requestId: string): Promise<TenantErasure> {
    return this.visible(requestId);
  }

  private async visible(requestId: string): Promise<TenantErasure> {
    if (this.principal.apiKeyId) throw errors.forbidden('API keys cannot request or cancel an erasure.');
    const isPlatformAdmin = !this.principal.tenantId && this.principal.roles.includes('platform_admin');
    if (!isPlatformAdmin && !this.principal.roles.includes('admin')) throw errors.forbidden('This operation needs one of the roles: admin.');
    // A malformed id is bad input, as for every other id argument (the NOT_FOUND is for well-formed ones).
    const erasure = await this.find(parseUuid(requestId, 'id'));
    if (!erasure) throw errors.notFound('TenantErasure', requestId);
    if (!isPlatformAdmin && erasure.tenantId !== this.principal.tenantId) {
      // Another tenant's request: the same NOT_FOUND, the attempt recorded after it like any other id's.
      throw await notFoundInTenant(this.deps.db, this.principal, this.principal.tenantId!, erasure.tenantId ?? undefined, 'TenantErasure', requestId);
    }
    return erasure;
  }

  private async wasSuspendedBefore(requestId: string): Promise<boolean> {
    // Recorded with the request, or by a suspension while it was pending: cancelling must not
    // resume a tenant a platform admin suspended.
    const rows = (await this.deps.db.query(`SELECT progress FROM ${this.table} WHERE id = ?`, [requestId])) as Array<{ progress: unknown }>;
    const progress = parseProgress(rows[0]?.progress);
    return progress.suspendedBefore === true || progress.suspendedDuring === true;
  }

  private async find(requestId: string): Promise<TenantErasure | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(requestId)) return undefined;
    const rows = (await this.deps.db.query(`SELECT * FROM ${this.table} WHERE id = ?`, [requestId])) as ErasureRow[];
    return rows[0] ? toErasure(rows[0]) : undefined;
  }

  private async require(requestId: string): Promise<TenantErasure> {
    const erasure = await this.find(requestId);
    if (!erasure) throw new Error(`erasure ${requestId} vanished`);
    return erasure;
  }
}

function toErasure(row: ErasureRow): TenantErasure {
  return {
    id: row.id,
    tenantId: row.tenant_id !== null && isTenantId(row.tenant_id) ? row.tenant_id : null,
    tenantPseudonym: row.tenant_pseudonym,
    tenantIdHash: row.tenant_id_hash,
    status: row.status,
    requestedAt: new Date(row.requested_at),
    scheduledFor: new Date(row.scheduled_for),
    cancelledAt: row.cancelled_at ? new Date(row.cancelled_at) : null,
    erasedAt: row.erased_at ? new Date(row.erased_at) : null,
    receipt: row.receipt,
  };
}

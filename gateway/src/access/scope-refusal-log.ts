import type { DataSource } from 'typeorm';
import { recordInTenantLog } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { isTesseraError } from '@tessera/errors';

export const scopeRefusalAction = 'access.denied';

/** What an operation-scoped API key asked for beyond its list. */
export interface ScopeRefusal {
  /** The root fields refused (or `predict`, the upload/download route's name). */
  fields: readonly string[];
  /** The operation's name as the client wrote it (it says nothing about what runs; kept for reading the trail). */
  operation: string | null;
}

/** Records one refusal of an operation-scoped API key; never throws. */
export type ScopeRefusalRecorder = (principal: Principal, tenantId: string, refusal: ScopeRefusal) => Promise<void>;

/** The refused fields of a FORBIDDEN the key's scope raised (operation-scope.ts, the predict route), else undefined. */
export function scopeRefusalFields(error: unknown): string[] | undefined {
  if (!isTesseraError(error) || error.code !== 'FORBIDDEN') return undefined;
  const fields = (error.extensions as Record<string, unknown> | undefined)?.['refusedFields'];
  return Array.isArray(fields) && fields.every((field) => typeof field === 'string') ? (fields as string[]) : undefined;
}

/**
 * An operation-scoped API key refused at the gateway (a root field, the predict route or a file
 * route outside its list) is recorded in its tenant's own trail as `access.denied`, by the key
 * (its service account's subject, `api-key:<id>` as client), exactly as a FORBIDDEN from a
 * subgraph's rule is (service-kit's authorization-audit.ts, details `service: "gateway"`). Before,
 * the refusal never reached a subgraph and nothing recorded it: a leaked key probing past its list
 * left no trace for the tenant's admins or its alert rules. The principal is verified (the key was
 * accepted), so the event goes to that tenant only. Each refusal is charged to the tenant like a
 * refused document, which bounds how many a key can cause.
 */
export function createScopeRefusalLog(db: DataSource, logger: Logger): ScopeRefusalRecorder {
  return async (principal, tenantId, refusal) => {
    const fields = refusal.fields.join(',').slice(0, 200);
    try {
      await recordInTenantLog(db, tenantId, principal, {
        action: scopeRefusalAction,
        targetType: 'GraphQLField',
        targetId: refusal.fields[0] ?? null,
        outcome: 'DENIED',
        details: { service: 'gateway', fields, operation: refusal.operation?.slice(0, 64) ?? null, reason: 'API_KEY_SCOPE' },
      });
    } catch (error) {
      logger.error('could not record an API key scope refusal', { tenantId, error: error instanceof Error ? error.message : String(error) });
    }
  };
}

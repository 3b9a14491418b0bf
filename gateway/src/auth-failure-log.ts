import type { IncomingHttpHeaders } from 'node:http';
import { decodeJwt } from 'jose';
import type { DataSource } from 'typeorm';
import { recordInTenantLog, recordSecurityEvent } from '@tessera/audit-client';
import { readClaim, type Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { isTesseraError } from '@tessera/errors';
import { isTenantId, type TenantDirectory } from '@tessera/tenancy';
import { bearerToken } from './request-auth';

export const authFailureAction = 'auth.failure';
export const gatewayDeniedAction = 'access.denied';

/**
 * Records the gateway's refusals: UNAUTHENTICATED (no, bad, expired or forged token) and FORBIDDEN
 * (a valid token whose tenant is missing, unknown or suspended). A token that failed verification
 * has no trustworthy tenant: its claims are read unverified, only as a hint. The event always goes
 * to the platform security log (with the hint); it also goes to the claimed tenant's own log when
 * that tenant exists, so its admins (and its AUTH_FAILURES rule) see someone knocking on their door.
 * A forged token can therefore add events to another tenant's log; they are marked unverified
 * (actor `unverified:<sub>`, no roles) and never count as a principal in the access report.
 */
export function createAuthFailureLog(db: DataSource, directory: TenantDirectory, tenantClaim: string, logger: Logger) {
  return async function recordAuthFailure(headers: IncomingHttpHeaders, sourceIp: string | undefined, requestId: string, error: unknown): Promise<void> {
    if (!isTesseraError(error) || (error.code !== 'UNAUTHENTICATED' && error.code !== 'FORBIDDEN')) return;
    try {
      const claims = unverifiedClaims(bearerToken(headers));
      const claimedTenant = readClaim(claims, tenantClaim);
      const tenantHint = isTenantId(claimedTenant) ? claimedTenant : null;
      const subject = typeof claims['sub'] === 'string' ? claims['sub'].slice(0, 200) : 'anonymous';
      const actor: Principal = { kind: 'user', subject: `unverified:${subject}`, tenantId: tenantHint ?? undefined, roles: [], clientId: undefined, requestId, sourceIp };
      const event = {
        action: error.code === 'UNAUTHENTICATED' ? authFailureAction : gatewayDeniedAction,
        targetType: 'Gateway',
        targetId: null,
        outcome: 'DENIED' as const,
        details: { reason: error.message.slice(0, 200), tokenPresent: Boolean(bearerToken(headers)) },
      };
      await db.transaction((manager) => recordSecurityEvent(manager, actor, { ...event, tenantId: tenantHint }));
      if (tenantHint && (await directory.find(tenantHint))) await recordInTenantLog(db, tenantHint, actor, event);
    } catch (cause) {
      logger.error('could not record an authentication failure', { error: cause instanceof Error ? cause.message : String(cause) });
    }
  };
}

function unverifiedClaims(token: string | undefined): Record<string, unknown> {
  if (!token) return {};
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

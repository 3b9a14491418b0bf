import type { IncomingHttpHeaders } from 'node:http';
import { decodeJwt } from 'jose';
import type { DataSource } from 'typeorm';
import { recordInTenantLog, recordSecurityEvent, type AuditEventInput } from '@tessera/audit-client';
import { readClaim, type Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { isTesseraError } from '@tessera/errors';
import { isTenantId, type TenantDirectory } from '@tessera/tenancy';
import { AuthFailureWindows, type AuthFailure, type AuthFailureSummary, type AuthFailureWindowsOptions } from './pipeline/auth-failure-windows';
import { bearerToken } from './request-auth';

export const authFailureAction = 'auth.failure';
export const gatewayDeniedAction = 'access.denied';

export interface AuthFailureLogOptions extends AuthFailureWindowsOptions {
  /** How often ended windows are summarised (default every 5 s). */
  sweepIntervalMs?: number;
}

export interface AuthFailureLog {
  /** Records (or counts) one refusal; anything but UNAUTHENTICATED and FORBIDDEN is ignored. Never throws. */
  record(headers: IncomingHttpHeaders, sourceIp: string | undefined, requestId: string, error: unknown): Promise<void>;
  /** Writes the summaries of every window now, ended or not (tests; shutdown does it too). */
  flush(): Promise<void>;
  /** Stops the sweep and writes what is still counted. */
  close(): Promise<void>;
}

/**
 * Records the gateway's refusals: UNAUTHENTICATED (no, bad, expired or forged token) and FORBIDDEN
 * (a valid token whose tenant is missing, unknown or suspended). A token that failed verification
 * has no trustworthy tenant: its claims are read unverified, only as a hint. The event always goes
 * to the platform security log (with the hint); it also goes to the claimed tenant's own log when
 * that tenant exists, so its admins (and its AUTH_FAILURES rule) see someone knocking on their door.
 * A forged token can therefore add events to another tenant's log; they are marked unverified
 * (actor `unverified:<sub>`, no roles) and never count as a principal in the access report.
 *
 * Because anyone can forge such a token, failures are aggregated (pipeline/auth-failure-windows.ts):
 * the first of each (action, claimed tenant, source, minute) is written as it happens with
 * `details.count: 1`; the rest are counted in memory and written as one summary event with
 * `details.count` (failures it stands for) once the minute is over, or when the gateway stops.
 * Summing `details.count` gives the number of failures; the number of rows per minute is bounded
 * whatever the number of forged requests. Counts still in memory are lost if the process dies.
 */
export function createAuthFailureLog(db: DataSource, directory: TenantDirectory, tenantClaim: string, logger: Logger, options: AuthFailureLogOptions = {}): AuthFailureLog {
  const windows = new AuthFailureWindows(options);
  // Summaries are written one after another: a sweep never takes more than one pooled connection.
  let writing: Promise<void> = Promise.resolve();
  const writeSummaries = (summaries: AuthFailureSummary[]): Promise<void> => {
    writing = writing.then(async () => {
      for (const summary of summaries) await write(summaryEvent(summary));
    });
    return writing;
  };
  const sweep = setInterval(() => void writeSummaries(windows.takeEnded()), options.sweepIntervalMs ?? 5_000);
  sweep.unref();

  async function write({ actor, event, tenantHint }: FailureEvent): Promise<void> {
    try {
      await db.transaction((manager) => recordSecurityEvent(manager, actor, { ...event, tenantId: tenantHint }));
      if (tenantHint && (await directory.find(tenantHint))) await recordInTenantLog(db, tenantHint, actor, event);
    } catch (cause) {
      logger.error('could not record an authentication failure', { error: cause instanceof Error ? cause.message : String(cause) });
    }
  }

  return {
    async record(headers, sourceIp, requestId, error) {
      if (!isTesseraError(error) || (error.code !== 'UNAUTHENTICATED' && error.code !== 'FORBIDDEN')) return;
      const failure = describeFailure(headers, sourceIp, requestId, error.code, error.message, tenantClaim);
      const assignment = windows.add(failure);
      if (assignment.recordNow) await write(firstEvent({ ...failure, claimedTenant: assignment.claimedTenant }));
    },
    flush: () => writeSummaries(windows.takeAll()),
    close: async () => {
      clearInterval(sweep);
      await writeSummaries(windows.takeAll());
    },
  };
}

interface FailureEvent {
  actor: Principal;
  event: AuditEventInput;
  tenantHint: string | null;
}

function describeFailure(headers: IncomingHttpHeaders, sourceIp: string | undefined, requestId: string, code: 'UNAUTHENTICATED' | 'FORBIDDEN', message: string, tenantClaim: string): AuthFailure {
  const token = bearerToken(headers);
  const claims = unverifiedClaims(token);
  const claimedTenant = readClaim(claims, tenantClaim);
  return {
    action: code === 'UNAUTHENTICATED' ? authFailureAction : gatewayDeniedAction,
    claimedTenant: isTenantId(claimedTenant) ? claimedTenant : null,
    sourceIp,
    subject: typeof claims['sub'] === 'string' ? claims['sub'].slice(0, 200) : 'anonymous',
    reason: message.slice(0, 200),
    tokenPresent: Boolean(token),
    requestId,
  };
}

/** The failure that opened its window, as it happened. */
function firstEvent(failure: AuthFailure): FailureEvent {
  const tenantHint = failure.claimedTenant;
  return {
    actor: { kind: 'user', subject: `unverified:${failure.subject}`, tenantId: tenantHint ?? undefined, roles: [], clientId: undefined, requestId: failure.requestId, sourceIp: failure.sourceIp },
    event: { action: failure.action, targetType: 'Gateway', targetId: null, outcome: 'DENIED', details: { reason: failure.reason, tokenPresent: failure.tokenPresent, count: 1 } },
    tenantHint,
  };
}

/** The rest of a window's failures, as one event. */
function summaryEvent(summary: AuthFailureSummary): FailureEvent {
  const tenantHint = summary.claimedTenant;
  return {
    actor: {
      kind: 'user',
      subject: `unverified:${summary.subject}`,
      tenantId: tenantHint ?? undefined,
      roles: [],
      clientId: undefined,
      requestId: summary.lastRequestId,
      sourceIp: summary.source === '*' ? undefined : summary.source,
    },
    event: {
      action: summary.action,
      targetType: 'Gateway',
      targetId: null,
      outcome: 'DENIED',
      details: {
        summary: true,
        count: summary.count,
        source: summary.source,
        windowStart: new Date(summary.windowStartMs).toISOString(),
        windowSeconds: summary.windowMs / 1000,
        subjects: summary.subjects,
        reason: summary.lastReason,
        tokenPresent: summary.tokenPresent,
      },
    },
    tenantHint,
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

import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { recordAuditEvent, recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import type { PortRefusalRecorder } from './ports';
import type { ServiceRuntime } from './service-runtime';
import type { SubgraphContext } from './subgraph-context';

export const accessDeniedAction = 'access.denied';

function isForbidden(error: GraphQLError): boolean {
  const original = error.originalError as { extensions?: Record<string, unknown> } | undefined;
  return error.extensions?.['code'] === 'FORBIDDEN' || original?.extensions?.['code'] === 'FORBIDDEN';
}

/**
 * Records every authorization failure (a FORBIDDEN from a shield rule or a provider's assertion)
 * once per request: in the caller's tenant log when the caller has an active tenant, otherwise
 * (platform operators, suspended tenants) in the platform security log. Which fields were refused
 * goes in the details; arguments never do. A failure to record is logged, never shown to the client.
 */
export function authorizationAuditPlugin(runtime: ServiceRuntime, serviceName: string, logger: Logger): ApolloServerPlugin<SubgraphContext> {
  const recordDenials = createAuthorizationFailureRecorder(runtime, serviceName, logger);
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          await recordDenials(contextValue.caller, errors, operationName ?? undefined);
        },
      };
    },
  };
}

/** The same recording for any transport (the subscription server uses it for refused subscribes). */
export function createAuthorizationFailureRecorder(runtime: ServiceRuntime, serviceName: string, logger: Logger) {
  return async function recordDenials(caller: SubgraphContext['caller'], errors: readonly GraphQLError[], operationName: string | undefined): Promise<void> {
    const denied = errors.filter(isForbidden);
    if (denied.length === 0 || caller.kind !== 'user') return;
    const fields = [...new Set(denied.map((error) => (error.path ?? []).filter((part) => typeof part === 'string').join('.')))].join(',').slice(0, 200);
    const details = { service: serviceName, fields, operation: operationName?.slice(0, 64) ?? null };
    try {
      await record(runtime, caller, fields, details);
    } catch (error) {
      logger.error('could not record an authorization failure', { error: error instanceof Error ? error.message : String(error) });
    }
  };
}

async function record(runtime: ServiceRuntime, caller: Principal, fields: string, details: Record<string, string | null>): Promise<void> {
  const event = { action: accessDeniedAction, targetType: 'GraphQLField', targetId: fields.split(',')[0] || null, outcome: 'DENIED' as const, details };
  const tenant = caller.tenantId ? await runtime.directory.find(caller.tenantId) : undefined;
  if (tenant?.status === 'ACTIVE') {
    const scope = await runtime.scopes.forPrincipal(caller);
    await scope.transaction((manager) => recordAuditEvent(manager, caller, event));
    return;
  }
  await runtime.db.transaction((manager) => recordSecurityEvent(manager, caller, { ...event, tenantId: caller.tenantId ?? null }));
}

export const portCallDeniedAction = 'port.call.denied';

/**
 * Records a port call refused because a caller confined to one tenant (a dedicated tenant's
 * workers) named another tenant's job, or its tenant is gone, not active or no longer dedicated
 * (`reason`), in the platform security log: the call never entered a tenant, and the log of the
 * tenant it named must not be written on a caller's say-so.
 */
export function createPortRefusalRecorder(runtime: ServiceRuntime, serviceName: string): PortRefusalRecorder {
  return async (refusal) => {
    const actor: Principal = { kind: 'user', subject: refusal.caller.identity, tenantId: refusal.caller.tenantId, roles: [], clientId: undefined, requestId: `port-${randomUUID()}`, sourceIp: undefined };
    await runtime.db.transaction((manager) =>
      recordSecurityEvent(manager, actor, {
        tenantId: refusal.caller.tenantId ?? null,
        action: portCallDeniedAction,
        targetType: 'PortMethod',
        targetId: `${refusal.port}.${refusal.method}`,
        outcome: 'DENIED',
        details: { service: serviceName, caller: refusal.caller.identity, callerRegion: refusal.caller.region ?? null, requestedTenant: refusal.requestedTenantId, reason: refusal.reason },
      }),
    );
  };
}

import type { Caller, Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { errors } from '@tessera/errors';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';

/** What every resolver of every subgraph receives. */
export interface SubgraphContext {
  caller: Caller;
  requestId: string;
  logger: Logger;
  /** The gateway's public base URL (for links the client follows, like upload URLs). */
  publicUrl: string | undefined;
  /** The calling tenant user; FORBIDDEN for the gateway's own calls. */
  user(): Principal;
  /** The caller's tenant scope, created on first use (suspended/unknown tenant → FORBIDDEN). */
  scope(): Promise<TenantScope>;
  /** Headers this request's HTTP answer carries to the gateway (what it changed; set by resolvers). */
  readonly responseHeaders: Map<string, string>;
}

export function createSubgraphContext(caller: Caller, logger: Logger, scopes: TenantScopeFactory, publicUrl?: string): SubgraphContext {
  let scope: Promise<TenantScope> | undefined;
  const user = (): Principal => {
    if (caller.kind !== 'user') throw errors.forbidden('This operation needs a user.');
    return caller;
  };
  return {
    caller,
    requestId: caller.requestId,
    publicUrl,
    logger: logger.child({ requestId: caller.requestId }),
    user,
    scope: () => (scope ??= scopes.forPrincipal(user())),
    responseHeaders: new Map(),
  };
}

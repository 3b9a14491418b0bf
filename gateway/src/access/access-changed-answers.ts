import { accessChangedHeader, parseAccessChangedHeader } from '@tessera/tenants/ports';
import type { LeanFetcher } from '../subgraph-http-client';
import type { AccessCache } from './access-cache';

/**
 * The tenants service's client, which also reads what an answer says it changed: the tenants named
 * in accessChangedHeader are forgotten from this gateway's access cache before the answer goes on,
 * so a removal or demotion holds on the caller's next request through this gateway even if the
 * Redis announcement (access-change-subscriber.ts, which reaches the other replicas) arrives later.
 */
export function forgettingChangedAccess(fetcher: LeanFetcher, cache: Pick<AccessCache, 'forgetTenant'>): LeanFetcher {
  return async (url, init) => {
    const response = await fetcher(url, init);
    for (const tenantId of parseAccessChangedHeader(response.headers.get(accessChangedHeader))) cache.forgetTenant(tenantId);
    return response;
  };
}

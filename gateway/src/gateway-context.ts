import type { Principal } from '@tessera/auth';
import type { TenantRecord } from '@tessera/tenancy';

export interface GatewayContext {
  principal: Principal;
  tenant: TenantRecord | undefined;
  /** Minted once per request, sent to every subgraph the query plan touches. */
  internalToken: string;
  publicUrl: string;
}

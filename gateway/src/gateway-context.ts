import type { Principal } from '@tessera/auth';
import type { TenantRecord } from '@tessera/tenancy';

export interface GatewayContext {
  principal: Principal;
  tenant: TenantRecord | undefined;
  requestId: string;
  publicUrl: string;
  /** What the operation cost in the tenant's budget (cost units, see pipeline/operation-cost-weights.ts). */
  operationCost: number;
  /** Gives the tenant's operation slot back (pipeline/tenant-concurrency.ts); called once the answer is ready. */
  releaseSlot: () => void;
}

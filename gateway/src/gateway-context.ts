import type { Principal } from '@tessera/auth';
import type { TenantRecord } from '@tessera/tenancy';
import type { ResolvedOperation } from './prepared/persisted-documents';
import type { PreparedOperation } from './prepared/prepared-operations';
import type { LeanResponse } from './subgraph-http-client';

export interface GatewayContext {
  principal: Principal;
  tenant: TenantRecord | undefined;
  requestId: string;
  publicUrl: string;
  /** What the operation cost in the tenant's budget (cost units, see pipeline/operation-cost-weights.ts). */
  operationCost: number;
  /** Gives the tenant's operation slot back (pipeline/tenant-concurrency.ts); called once the answer is ready. */
  releaseSlot: () => void;
  /**
   * A subgraph's answer to this request's one fetch, already received by the single-fetch path and
   * not passed through (errors, a non-2xx status): Apollo's execution takes it instead of calling again.
   */
  prefetched?: { serviceName: string; query: string; response: Promise<LeanResponse> } | undefined;
  /** The operation as admitted (its text, resolved from a persisted document id when the client sent one) and its prepared form. */
  operationRequest?: ResolvedOperation | undefined;
  prepared?: PreparedOperation | undefined;
}

import type { JWK } from 'jose';
import type { AccessTokenVerifierOptions } from '@tessera/auth';
import type { MeteringOptions } from '@tessera/metering';
import type { RequestMetricsConfig } from '@tessera/monitoring';

export interface SubgraphEndpoint {
  name: string;
  url: string;
}

export interface GatewayConfig {
  port: number;
  /** Interface to bind; 127.0.0.1 when unset (a container sets 0.0.0.0). */
  host?: string | undefined;
  /** The URL clients use to reach this gateway (upload URLs are built from it). */
  publicUrl: string | undefined;
  oidc: AccessTokenVerifierOptions;
  internalContextPrivateKey: JWK;
  subgraphs: SubgraphEndpoint[];
  /** Subgraphs that accept streamed uploads at /internal/uploads/:id, by the name in /uploads/:name/:id. */
  uploadTargets: string[];
  /** Subgraphs that serve file downloads at /internal/downloads/:id, by the name in /downloads/:name/:id. */
  downloadTargets?: string[];
  limits: {
    maxUploadBytes: number;
    /** Failed authentications per minute one client address may cause before it is refused unverified (default 120; see pipeline/client-address-guard.ts). */
    authFailuresPerMinutePerAddress?: number;
    /** How long a tenant's RATE_LIMITED answer is held before it is sent (default 250 ms; 0: at once). See pipeline/rate-limit-hold.ts. */
    rateLimitedHoldMs?: number;
  };
  /** Per-tenant request metrics: bucket width, flush interval, operation-name cap (defaults when omitted). */
  requestMetrics?: Partial<RequestMetricsConfig>;
  /** Usage meters (cost units, download bytes) and the budget cache (defaults when omitted). */
  metering?: MeteringOptions | undefined;
}

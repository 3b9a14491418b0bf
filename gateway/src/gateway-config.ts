import type { JWK } from 'jose';
import type { AccessTokenVerifierOptions } from '@tessera/auth';
import type { MeteringOptions } from '@tessera/metering';
import type { RequestMetricsConfig } from '@tessera/monitoring';
import type { TlsIdentity } from '@tessera/service-kit';
import type { PersistedDocumentsMode } from './prepared/persisted-documents';
import type { RoleSource } from './request-auth';
import type { TransferPace } from './transfer-pace';

export interface SubgraphEndpoint {
  name: string;
  /** https: the gateway reaches every subgraph over mutual TLS. */
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
  /** How long a minted internal context is valid, in seconds (1–30, default 30). */
  internalContextLifetimeSeconds?: number | undefined;
  /**
   * The gateway's service identity: its client certificate to the subgraphs (mutual TLS, and the
   * certificate every internal context is bound to) and the CA their server certificates must chain to.
   */
  tls: TlsIdentity;
  /**
   * The public endpoint's certificate and key (HTTPS and WSS): the service identity's by default.
   * 'plaintext' serves plain HTTP, only for a gateway behind a TLS-terminating ingress.
   */
  publicTls?: { cert: string; key: string } | 'plaintext' | undefined;
  /** Proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES; default loopback): see pipeline/trusted-proxies.ts. */
  trustedProxies?: readonly string[] | undefined;
  subgraphs: SubgraphEndpoint[];
  /** Subgraphs that accept streamed uploads at /internal/uploads/:id, by the name in /uploads/:name/:id. */
  uploadTargets: string[];
  /** Subgraphs that serve file downloads at /internal/downloads/:id, by the name in /downloads/:name/:id. */
  downloadTargets?: string[];
  limits: {
    maxUploadBytes: number;
    /** Failed authentications per minute one client address may cause before it is refused unverified (default 120; see pipeline/client-address-guard.ts). */
    authFailuresPerMinutePerAddress?: number;
    /** WebSockets one client address may hold while their connection_init is not accepted yet (default 16; see subscriptions/subscription-limits.ts). */
    pendingSocketsPerAddress?: number;
    /** Bytes of relayed events one subscription socket may hold unread, over all its subscriptions (default 1 MiB; see subscriptions/socket-event-bytes.ts). */
    socketBufferBytes?: number;
    /** Connections one client address may hold open at once, trusted proxies excepted (default 256; 0: no cap). See pipeline/connection-limit.ts. */
    connectionsPerAddress?: number;
    /** How long a tenant's RATE_LIMITED answer is held before it is sent (default 250 ms; 0: at once). See pipeline/rate-limit-hold.ts. */
    rateLimitedHoldMs?: number;
    /** Uploads and downloads one tenant may have in progress at once on this replica (default 8; see pipeline/transfer-slots.ts). */
    transfersPerTenant?: number;
    /** How long an upload's body or a download's reader may move no bytes before the stream is cut (default 30 000). */
    transferIdleTimeoutMs?: number;
    /** How fast an upload's body must arrive on average after a grace period, and an optional ceiling on its time (defaults in transfer-pace.ts). */
    uploadPace?: Partial<TransferPace> | undefined;
    /** The same for how fast a download's client must take the file (defaults in transfer-pace.ts). */
    downloadPace?: Partial<TransferPace> | undefined;
    /** How fast a client must take a GraphQL or predict-route answer once it is written (defaults in answer-bytes.ts). */
    answerPace?: Partial<TransferPace> | undefined;
    /** How long any other request's body may take to arrive, from the request's start (default 60 000; see body-deadline.ts). */
    requestBodyTimeoutMs?: number;
    /** How often a subscription socket is pinged, and how long its pong may take (default 12 000; see subscription-gateway.ts). */
    subscriptionKeepAliveMs?: number;
  };
  /** Per-tenant request metrics: bucket width, flush interval, operation-name cap (defaults when omitted). */
  requestMetrics?: Partial<RequestMetricsConfig>;
  /** Usage meters (cost units, download bytes) and the budget cache (defaults when omitted). */
  metering?: MeteringOptions | undefined;
  /** Where tenant roles come from, and the membership / API-key cache (defaults when omitted). */
  access?: GatewayAccessConfig | undefined;
  /**
   * Persisted documents (PERSISTED_DOCUMENTS, TRUSTED_DOCUMENTS_FILE): `automatic` (default) runs any
   * document and lets clients register them by hash; `trusted` runs only the manifest's documents.
   */
  persistedDocuments?: { mode: PersistedDocumentsMode; trusted?: ReadonlyMap<string, string> | undefined } | undefined;
  /**
   * How many operations stay prepared (PREPARED_OPERATIONS_MAX, default 1 000; 0: none, so every
   * request is parsed, measured and handed to Apollo); `singleFetch: false` keeps every operation on
   * Apollo's execution.
   */
  preparedOperations?: { maxOperations?: number | undefined; singleFetch?: boolean | undefined } | undefined;
}

export interface GatewayAccessConfig {
  /** `claims` (default): the token's roles claim; `members`: Tessera's membership of the token's subject (ROLE_SOURCE). */
  roleSource?: RoleSource | undefined;
  /** How long a membership or API key is reused without a query; changes announced on Redis drop it at once (default 30 000). */
  cacheTtlMs?: number | undefined;
  /** How often the API keys' last use is written (default 10 000). */
  usageFlushIntervalMs?: number | undefined;
}

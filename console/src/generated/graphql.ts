/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO-8601 date-time in UTC. */
  DateTime: { input: string; output: string; }
};

export type AccessPrincipalType =
  | 'API_KEY'
  | 'MEMBER'
  | 'SERVICE_ACCOUNT';

export type AccessReport = {
  __typename?: 'AccessReport';
  from: Scalars['DateTime']['output'];
  generatedAt: Scalars['DateTime']['output'];
  /** Every member of the tenant now, with its role and activity, including members who never used their access. */
  members: Array<MemberAccessReview>;
  resourceAccess: Array<ResourceAccess>;
  roleHolders: Array<RoleHolder>;
  /** Where role information comes from (Tessera keeps no role-binding table). */
  roleSource: Scalars['String']['output'];
  /** Every service account of the tenant now, with its role and activity, including accounts whose keys were never used. */
  serviceAccounts: Array<ServiceAccountAccessReview>;
  to: Scalars['DateTime']['output'];
  users: Array<UserActivity>;
};

/** A periodic access review: the access report of one period and the stale privileged access found at its end, stored encrypted in your bucket. */
export type AccessReview = {
  __typename?: 'AccessReview';
  /** Stale-access alerts this review raised (an open alert of an earlier review is not raised again). */
  alertsRaised: Scalars['Int']['output'];
  /** API keys holding access (neither revoked nor expired) when the review was written. */
  apiKeyCount: Scalars['Int']['output'];
  /** The document as written, decrypted and checked against sha256 (reading it is audited). */
  content: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** The admin who ran it, or system:access-review. */
  createdBy: Scalars['String']['output'];
  from: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  memberCount: Scalars['Int']['output'];
  /** Where the JSON document is in your bucket (encrypted with your data key): access-reviews/<period>.json. */
  objectKey: Scalars['String']['output'];
  /** 2026-05 (a calendar month) or 2026-05-01_P7D (seven days from that date). */
  period: Scalars['String']['output'];
  serviceAccountCount: Scalars['Int']['output'];
  /** SHA-256 of the JSON document (before encryption). */
  sha256: Scalars['String']['output'];
  /** Privileged access found unused for the STALE_ACCESS threshold at the end of the period. */
  staleAccess: Array<StaleAccessFinding>;
  staleAccessCount: Scalars['Int']['output'];
  /** Bytes stored (encrypted), counted in your storage quota. */
  storedBytes: Scalars['Int']['output'];
  /** Last millisecond of the period (inclusive). */
  to: Scalars['DateTime']['output'];
  trigger: AccessReviewTrigger;
};

export type AccessReviewConnection = {
  __typename?: 'AccessReviewConnection';
  edges: Array<AccessReviewEdge>;
  pageInfo: PageInfo;
};

export type AccessReviewEdge = {
  __typename?: 'AccessReviewEdge';
  cursor: Scalars['String']['output'];
  node: AccessReview;
};

export type AccessReviewSchedule = {
  __typename?: 'AccessReviewSchedule';
  /** When the tenant's current choice began (null: never changed). */
  effectiveFrom?: Maybe<Scalars['DateTime']['output']>;
  /** The interval in force: monthly, or <n>d. */
  interval: Scalars['String']['output'];
  /** Days per period the tenant chose; null: it follows the platform's interval. */
  intervalDays?: Maybe<Scalars['Int']['output']>;
  /** The latest period that has ended under this interval (what runAccessReview writes by default). */
  lastEndedPeriod: Scalars['String']['output'];
  /** False when the platform runs no scheduled reviews (ACCESS_REVIEW_INTERVAL=off); runAccessReview still works. */
  scheduled: Scalars['Boolean']['output'];
  updatedAt?: Maybe<Scalars['DateTime']['output']>;
  updatedBy?: Maybe<Scalars['String']['output']>;
};

export type AccessReviewTrigger =
  /** Written by runAccessReview. */
  | 'MANUAL'
  /** Written by the scheduler when the period ended (or caught up later). */
  | 'SCHEDULE';

export type Alert = {
  __typename?: 'Alert';
  acknowledgedAt?: Maybe<Scalars['DateTime']['output']>;
  acknowledgedBy?: Maybe<Scalars['String']['output']>;
  createdAt: Scalars['DateTime']['output'];
  deliveries: Array<WebhookDelivery>;
  /** The audit events (sequence numbers) the window spans. */
  firstSequence: Scalars['Int']['output'];
  id: Scalars['ID']['output'];
  lastSequence: Scalars['Int']['output'];
  observed: Scalars['Int']['output'];
  rule: AlertRuleKind;
  status: AlertStatus;
  summary: Scalars['String']['output'];
  threshold: Scalars['Int']['output'];
  windowEnd: Scalars['DateTime']['output'];
  windowStart: Scalars['DateTime']['output'];
};

export type AlertRule = {
  __typename?: 'AlertRule';
  description: Scalars['String']['output'];
  enabled: Scalars['Boolean']['output'];
  /** True while the platform default applies (no override). */
  isDefault: Scalars['Boolean']['output'];
  kind: AlertRuleKind;
  /** Weight (events, or objects for deletions) within 60 seconds that fires the rule; for STALE_ACCESS, days without use. */
  threshold: Scalars['Int']['output'];
  windowSeconds: Scalars['Int']['output'];
};

export type AlertRuleInput = {
  enabled?: Scalars['Boolean']['input'];
  kind: AlertRuleKind;
  threshold: Scalars['Int']['input'];
};

export type AlertRuleKind =
  /** An anomaly.detected event: the metrics service's detector flagged a series of the tenant (see anomalies). */
  | 'ANOMALY'
  | 'AUTH_FAILURES'
  | 'BULK_DELETION'
  | 'CROSS_TENANT_ATTEMPT'
  | 'DATA_READ_BURST'
  /** An event of a kind only one service records (dataset.*, model.*, job.*, member.*, …) was written by another service's database account (see AuditEvent.recordedBy), or an event's action is not of the platform's form (lower-case words joined by dots): an event written in another service's name. */
  | 'MISATTRIBUTED_EVENT'
  /** An access review found privileged access (admin, data_scientist) unused for `threshold` days: one alert per member, service account or API key and review, not repeated while it is open. */
  | 'STALE_ACCESS'
  /** A usage.budget.soft_threshold event: one of your monthly usage budgets reached its soft threshold (see usageBudgets). */
  | 'USAGE_BUDGET';

export type AlertStatus =
  | 'ACKNOWLEDGED'
  | 'OPEN';

export type AlertWebhook = {
  __typename?: 'AlertWebhook';
  createdAt: Scalars['DateTime']['output'];
  url: Scalars['String']['output'];
};

export type AlertWebhookSecret = {
  __typename?: 'AlertWebhookSecret';
  createdAt: Scalars['DateTime']['output'];
  /** Shown once. Verify X-Tessera-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + '.' + body)>. */
  secret: Scalars['String']['output'];
  url: Scalars['String']['output'];
};

/**
 * One bucket the detector judged abnormal: `observed` is `score` spreads above what the series'
 * model `expected` (an exponentially weighted mean and variance learned from the tenant's own history).
 */
export type Anomaly = {
  __typename?: 'Anomaly';
  detectedAt: Scalars['DateTime']['output'];
  /** The spread (standard deviation, with a floor) the score is measured in. */
  deviation: Scalars['Float']['output'];
  expected: Scalars['Float']['output'];
  id: Scalars['ID']['output'];
  metric: AnomalyMetric;
  observed: Scalars['Float']['output'];
  score: Scalars['Float']['output'];
  summary: Scalars['String']['output'];
  threshold: Scalars['Float']['output'];
  windowEnd: Scalars['DateTime']['output'];
  windowStart: Scalars['DateTime']['output'];
};

export type AnomalyMetric =
  /** Reads of tenant data per minute (dataset content, model downloads, exports), from the audit trail. */
  | 'DATA_READS'
  /** Fraction of requests that failed. */
  | 'ERROR_RATE'
  /** Fraction of predict calls that failed. */
  | 'INFERENCE_ERROR_RATE'
  /** Mean predict latency (ms). */
  | 'INFERENCE_LATENCY'
  /** Estimated 95th percentile request latency (ms). */
  | 'LATENCY_P95'
  /** Requests per minute at the gateway. */
  | 'REQUEST_RATE';

/** An API key's description; its secret is shown only once, by createApiKey. */
export type ApiKey = {
  __typename?: 'ApiKey';
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  expiresAt: Scalars['DateTime']['output'];
  /** The key's public id: the part between `tsk_` and the secret. */
  id: Scalars['ID']['output'];
  /** Last request made with the key (recorded in batches: up to a few seconds late). */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Root fields the key may run (e.g. predict); null: every field its role allows. */
  operations?: Maybe<Array<Scalars['String']['output']>>;
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  role: MemberRole;
  serviceAccountId: Scalars['ID']['output'];
  status: ApiKeyStatus;
};

export type ApiKeyStatus =
  | 'ACTIVE'
  | 'EXPIRED'
  | 'REVOKED';

export type AuditChainFailure =
  /** A checkpoint whose signature or content does not verify. */
  | 'CHECKPOINT_INVALID'
  /** The chain recomputes but differs from a signed head (rewritten after the last matching checkpoint). */
  | 'CHECKPOINT_MISMATCH'
  /** An event's hash does not match its content and predecessor (edited, reordered or forged). */
  | 'HASH_MISMATCH'
  /** An event is missing while later ones exist (deleted). */
  | 'MISSING_EVENT'
  /** A signed checkpoint covers events that are no longer there (tail truncated). */
  | 'TRUNCATED'
  /** Security log only: events were rewritten without a signed rewrite record (erasure's pseudonymisation signs one). */
  | 'UNSIGNED_REWRITE';

export type AuditChainVerification = {
  __typename?: 'AuditChainVerification';
  /** Events whose sequence number and hash were recomputed. */
  checkedEvents: Scalars['Int']['output'];
  checkpointsChecked: Scalars['Int']['output'];
  /** The lowest sequence number at which the chain stops being what was written; null when valid. */
  firstBadSequence?: Maybe<Scalars['Int']['output']>;
  /** The highest sequence number present (0 for an empty chain). */
  headSequence: Scalars['Int']['output'];
  reason?: Maybe<AuditChainFailure>;
  valid: Scalars['Boolean']['output'];
};

/** A signed chain head: the platform's audit key vouches that the chain had `sequence` events ending in `headHash`. */
export type AuditCheckpoint = {
  __typename?: 'AuditCheckpoint';
  headHash: Scalars['String']['output'];
  keyId: Scalars['String']['output'];
  /** The write-once copy in your bucket. */
  objectKey?: Maybe<Scalars['String']['output']>;
  sequence: Scalars['Int']['output'];
  /** Compact JWS (EdDSA or ES256) over {chain, tenantId, seq, headHash, time}. */
  signature: Scalars['String']['output'];
  signedAt: Scalars['DateTime']['output'];
};

export type AuditEvent = {
  __typename?: 'AuditEvent';
  action: Scalars['String']['output'];
  actorClient?: Maybe<Scalars['String']['output']>;
  actorRoles: Array<Scalars['String']['output']>;
  actorSubject: Scalars['String']['output'];
  /** A small JSON object of non-secret facts about the event. */
  details: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  occurredAt: Scalars['DateTime']['output'];
  outcome: AuditOutcome;
  /**
   * Which service wrote the event (gateway, datasets, models, jobs, audit, metrics, tenants), as the
   * database recorded it from the writing account: no service but the audit service (which keeps the
   * chain) can set it, so an event another service wrote in its name still says who wrote it. `account:<user>` for an account that is no service's;
   * null for events written before writers were recorded.
   */
  recordedBy?: Maybe<Scalars['String']['output']>;
  requestId?: Maybe<Scalars['String']['output']>;
  sequence: Scalars['Int']['output'];
  sourceIp?: Maybe<Scalars['String']['output']>;
  targetId?: Maybe<Scalars['String']['output']>;
  targetType: Scalars['String']['output'];
  traceId?: Maybe<Scalars['String']['output']>;
};

export type AuditEventConnection = {
  __typename?: 'AuditEventConnection';
  edges: Array<AuditEventEdge>;
  pageInfo: PageInfo;
};

export type AuditEventEdge = {
  __typename?: 'AuditEventEdge';
  cursor: Scalars['String']['output'];
  node: AuditEvent;
};

export type AuditEventFilter = {
  /** An action name, e.g. dataset.read, cross_tenant_attempt, auth.failure. */
  action?: InputMaybe<Scalars['String']['input']>;
  /** The actor's subject, exactly. */
  actor?: InputMaybe<Scalars['String']['input']>;
  /** Inclusive ISO-8601 bounds; from must not be after to. */
  from?: InputMaybe<Scalars['DateTime']['input']>;
  outcome?: InputMaybe<AuditOutcome>;
  targetId?: InputMaybe<Scalars['String']['input']>;
  /** A target type, e.g. Dataset, DatasetVersion. */
  targetType?: InputMaybe<Scalars['String']['input']>;
  to?: InputMaybe<Scalars['DateTime']['input']>;
};

export type AuditExport = {
  __typename?: 'AuditExport';
  /** The latest signed checkpoint covering the last event, as JSON, if one exists yet. */
  checkpoint?: Maybe<Scalars['String']['output']>;
  eventCount: Scalars['Int']['output'];
  firstHash?: Maybe<Scalars['String']['output']>;
  firstSequence?: Maybe<Scalars['Int']['output']>;
  lastHash?: Maybe<Scalars['String']['output']>;
  lastSequence?: Maybe<Scalars['Int']['output']>;
  objectKey: Scalars['String']['output'];
  proofObjectKey: Scalars['String']['output'];
  /** SHA-256 of the NDJSON (before encryption). */
  sha256: Scalars['String']['output'];
};

export type AuditOutcome =
  | 'DENIED'
  | 'FAILED'
  | 'SUCCESS';

/** A public key of the platform's audit key ring. */
export type AuditSigningKey = {
  __typename?: 'AuditSigningKey';
  /** EdDSA or ES256. */
  algorithm: Scalars['String']['output'];
  /** True for the key that signs new checkpoints; false for a retired key whose checkpoints still verify. */
  current: Scalars['Boolean']['output'];
  /** JWK thumbprint (RFC 7638) of the key: the `kid` of the checkpoints it signed, and their `keyId`. */
  keyId: Scalars['String']['output'];
  /** The public JSON Web Key, as JSON text. */
  publicJwk: Scalars['String']['output'];
};

export type ColumnStatistics = {
  __typename?: 'ColumnStatistics';
  /** Non-empty values. */
  count: Scalars['Int']['output'];
  /** Other columns: distinct values (exact up to 10 000, estimated beyond) and the most frequent ones. */
  distinctEstimate?: Maybe<Scalars['Int']['output']>;
  distinctExact?: Maybe<Scalars['Boolean']['output']>;
  max?: Maybe<Scalars['Float']['output']>;
  mean?: Maybe<Scalars['Float']['output']>;
  /** Numeric columns (INTEGER, FLOAT, BOOLEAN as 0/1). */
  min?: Maybe<Scalars['Float']['output']>;
  name: Scalars['String']['output'];
  nullCount: Scalars['Int']['output'];
  stddev?: Maybe<Scalars['Float']['output']>;
  topValues?: Maybe<Array<ValueCount>>;
  type: Scalars['String']['output'];
};

export type ColumnType =
  | 'BOOLEAN'
  | 'DATETIME'
  | 'FLOAT'
  | 'INTEGER'
  | 'STRING';

export type CreateApiKeyInput = {
  /** When the key stops working (default in 90 days, at most 366 days ahead). */
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** Limit the key to these root fields (1–50 names); left out: every field its role allows. */
  operations?: InputMaybe<Array<Scalars['String']['input']>>;
  /** At most the service account's role (default: the account's role). */
  role?: InputMaybe<MemberRole>;
  serviceAccountId: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};

export type CreateDatasetInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  /** 1–128 characters: letters, digits, space, '.', '_' and '-'; unique in your tenant (case-insensitive). */
  name: Scalars['String']['input'];
};

export type CreateDatasetUploadInput = {
  /** Exact size of the file in bytes. */
  byteSize: Scalars['Int']['input'];
  contentType?: InputMaybe<Scalars['String']['input']>;
  datasetId: Scalars['ID']['input'];
  filename: Scalars['String']['input'];
};

export type CreateModelInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  /** 1–128 characters: letters, digits, space, '.', '_' and '-'; unique in your tenant (case-insensitive). */
  name: Scalars['String']['input'];
};

export type CreateModelUploadInput = {
  /** Exact size of the file in bytes (at most your tenant's maxUploadBytes). */
  byteSize: Scalars['Int']['input'];
  filename: Scalars['String']['input'];
  modelId: Scalars['ID']['input'];
};

export type CreateServiceAccountInput = {
  /** 1–64 characters: lowercase letters, digits, '.', '_' and '-'; unique in the tenant. */
  name: Scalars['String']['input'];
  role: MemberRole;
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};

export type CreatedApiKey = {
  __typename?: 'CreatedApiKey';
  apiKey: ApiKey;
  /** `tsk_<id>_<secret>`: send it as `Authorization: Bearer <key>`. Shown only here, never again. */
  secret: Scalars['String']['output'];
};

/** The caller, as the gateway established it for this request. */
export type CurrentPrincipal = {
  __typename?: 'CurrentPrincipal';
  /** Its effective roles in that tenant (with ROLE_SOURCE=members: the membership's; for an API key: the key's). */
  roles: Array<PrincipalRole>;
  /** The OIDC subject, or `service-account:<id>` for an API key. */
  subject: Scalars['String']['output'];
  /** The tenant the caller acts in; null for a platform admin. */
  tenantId?: Maybe<Scalars['ID']['output']>;
};

export type DataKeyRewrap = {
  __typename?: 'DataKeyRewrap';
  failed: Scalars['Int']['output'];
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  /** Data keys still below the target version. */
  remaining: Scalars['Int']['output'];
  rewrapped: Scalars['Int']['output'];
  startedAt: Scalars['DateTime']['output'];
  status: DataKeyRewrapStatus;
  targetVersion: Scalars['Int']['output'];
  updatedAt: Scalars['DateTime']['output'];
};

export type DataKeyRewrapStatus =
  | 'DONE'
  /** Finished with data keys it could not rewrap (lastError says which); rewrapDataKeys tries them again. */
  | 'FAILED'
  | 'RUNNING';

export type Dataset = {
  __typename?: 'Dataset';
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  description?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  latestVersion?: Maybe<DatasetVersion>;
  name: Scalars['String']['output'];
  versionCount: Scalars['Int']['output'];
  versions: DatasetVersionConnection;
};


export type DatasetVersionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type DatasetColumn = {
  __typename?: 'DatasetColumn';
  name: Scalars['String']['output'];
  nullCount: Scalars['Int']['output'];
  nullable: Scalars['Boolean']['output'];
  type: ColumnType;
};

export type DatasetConnection = {
  __typename?: 'DatasetConnection';
  edges: Array<DatasetEdge>;
  pageInfo: PageInfo;
};

export type DatasetEdge = {
  __typename?: 'DatasetEdge';
  cursor: Scalars['String']['output'];
  node: Dataset;
};

export type DatasetPreview = {
  __typename?: 'DatasetPreview';
  columns: Array<Scalars['String']['output']>;
  rows: Array<Array<Scalars['String']['output']>>;
};

export type DatasetProfile = {
  __typename?: 'DatasetProfile';
  columns: Array<ColumnStatistics>;
  rowCount: Scalars['Int']['output'];
};

export type DatasetUpload = {
  __typename?: 'DatasetUpload';
  dataset: Dataset;
  declaredBytes: Scalars['Int']['output'];
  expiresAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  maxBytes: Scalars['Int']['output'];
  method: Scalars['String']['output'];
  status: UploadStatus;
  /** PUT the file's bytes here, with `Authorization: Bearer <token>`. */
  uploadUrl: Scalars['String']['output'];
};

export type DatasetVersion = {
  __typename?: 'DatasetVersion';
  byteSize: Scalars['Int']['output'];
  columns: Array<DatasetColumn>;
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  dataset: Dataset;
  id: Scalars['ID']['output'];
  /** 1, 2, 3 … in upload order; a version never changes once created. */
  number: Scalars['Int']['output'];
  /** The first rows of the content (decrypted on read; every read is audited). */
  preview: DatasetPreview;
  rowCount: Scalars['Int']['output'];
  sha256: Scalars['String']['output'];
};


export type DatasetVersionPreviewArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
};

export type DatasetVersionConnection = {
  __typename?: 'DatasetVersionConnection';
  edges: Array<DatasetVersionEdge>;
  pageInfo: PageInfo;
};

export type DatasetVersionEdge = {
  __typename?: 'DatasetVersionEdge';
  cursor: Scalars['String']['output'];
  node: DatasetVersion;
};

export type DeleteDatasetPayload = {
  __typename?: 'DeleteDatasetPayload';
  deletedObjects: Scalars['Int']['output'];
  deletedVersions: Scalars['Int']['output'];
  id: Scalars['ID']['output'];
};

export type DeleteModelPayload = {
  __typename?: 'DeleteModelPayload';
  deletedObjects: Scalars['Int']['output'];
  deletedVersions: Scalars['Int']['output'];
  id: Scalars['ID']['output'];
};

export type DeleteModelVersionPayload = {
  __typename?: 'DeleteModelVersionPayload';
  id: Scalars['ID']['output'];
  modelId: Scalars['ID']['output'];
  number: Scalars['Int']['output'];
};

/** One dimension: a fixed size, a symbolic name (e.g. 'batch'), or neither (unknown). */
export type Dim = {
  __typename?: 'Dim';
  size?: Maybe<Scalars['Int']['output']>;
  symbol?: Maybe<Scalars['String']['output']>;
};

export type ErasureReceiptVerification = {
  __typename?: 'ErasureReceiptVerification';
  keyId?: Maybe<Scalars['String']['output']>;
  /** The receipt's contents (JSON text) when valid. */
  payload?: Maybe<Scalars['String']['output']>;
  /** MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE or WRONG_TYPE when not valid. */
  reason?: Maybe<Scalars['String']['output']>;
  valid: Scalars['Boolean']['output'];
};

export type ErrorCodeCount = {
  __typename?: 'ErrorCodeCount';
  code: Scalars['String']['output'];
  requests: Scalars['Int']['output'];
};

export type FamilyKey = {
  __typename?: 'FamilyKey';
  /** The version new objects are encrypted with (0 before the first object). */
  currentVersion: Scalars['Int']['output'];
  /** The dataset's or model's id. */
  id: Scalars['ID']['output'];
  /** Objects still directly under a tenant data key (written before per-dataset keys): a rotation moves them too. */
  objectsUnderTenantKey: Scalars['Int']['output'];
  owner: FamilyKeyOwner;
  versions: Array<FamilyKeyVersion>;
};

export type FamilyKeyOwner =
  | 'DATASET'
  | 'MODEL';

export type FamilyKeyRotation = {
  __typename?: 'FamilyKeyRotation';
  /** True when a rotation of this key was already running and this request joined it. */
  coalesced: Scalars['Boolean']['output'];
  key: FamilyKey;
  /** The re-encryption run of this rotation (poll keyOperation). */
  operation: KeyOperation;
};

export type FamilyKeyVersion = {
  __typename?: 'FamilyKeyVersion';
  createdAt: Scalars['DateTime']['output'];
  /** Objects in the bucket whose header names this version. */
  objects: Scalars['Int']['output'];
  /** ACTIVE (encrypts new objects) or RETIRED (decrypts the objects still under it until they are moved). */
  status: Scalars['String']['output'];
  version: Scalars['Int']['output'];
};

export type HiddenActivation =
  | 'RELU'
  | 'TANH';

export type HyperParameters = {
  __typename?: 'HyperParameters';
  activation: HiddenActivation;
  batchSize: Scalars['Int']['output'];
  epochs: Scalars['Int']['output'];
  hiddenUnits: Array<Scalars['Int']['output']>;
  l2: Scalars['Float']['output'];
  learningRate: Scalars['Float']['output'];
  seed: Scalars['Int']['output'];
};

/** Every field is optional; defaults in brackets. Out-of-bounds values are BAD_USER_INPUT. */
export type HyperParametersInput = {
  /** MLP only [RELU] */
  activation?: InputMaybe<HiddenActivation>;
  /** 1–65536 [32] */
  batchSize?: InputMaybe<Scalars['Int']['input']>;
  /** 1–2000 [100] */
  epochs?: InputMaybe<Scalars['Int']['input']>;
  /** MLP only: units per hidden layer, 1–4 layers of 1–256 [16] */
  hiddenUnits?: InputMaybe<Array<Scalars['Int']['input']>>;
  /** L2 penalty 0–10 [0] */
  l2?: InputMaybe<Scalars['Float']['input']>;
  /** 1e-6–10 [0.05] */
  learningRate?: InputMaybe<Scalars['Float']['input']>;
  /** Shuffling and initial weights [42] */
  seed?: InputMaybe<Scalars['Int']['input']>;
};

export type InferenceMinute = {
  __typename?: 'InferenceMinute';
  calls: Scalars['Int']['output'];
  errors: Scalars['Int']['output'];
  /** Calls that took at most 5 / 25 / 100 / 500 ms (cumulative buckets). */
  latencyLe5ms: Scalars['Int']['output'];
  latencyLe25ms: Scalars['Int']['output'];
  latencyLe100ms: Scalars['Int']['output'];
  latencyLe500ms: Scalars['Int']['output'];
  maxBatchSize: Scalars['Int']['output'];
  maxLatencyMs: Scalars['Float']['output'];
  meanBatchSize: Scalars['Float']['output'];
  meanLatencyMs: Scalars['Float']['output'];
  /** The start of the minute, or of the hour with granularity HOUR. */
  minute: Scalars['DateTime']['output'];
  modelVersionId: Scalars['ID']['output'];
  rows: Scalars['Int']['output'];
  /** Null when the version has been deleted since. */
  versionNumber?: Maybe<Scalars['Int']['output']>;
};

export type InferenceStats = {
  __typename?: 'InferenceStats';
  /** predict calls that reached an inference pool (input validation refusals are not counted). */
  calls: Scalars['Int']['output'];
  errors: Scalars['Int']['output'];
  from: Scalars['DateTime']['output'];
  /** What each entry of `minutes` covers: a minute, or an hour (its `minute` is then the hour's start). */
  granularity: MetricGranularity;
  maxBatchSize: Scalars['Int']['output'];
  maxLatencyMs: Scalars['Float']['output'];
  /** Mean number of calls merged into the run that served a call (1 = no batching). */
  meanBatchSize: Scalars['Float']['output'];
  meanLatencyMs: Scalars['Float']['output'];
  minutes: Array<InferenceMinute>;
  modelId: Scalars['ID']['output'];
  rows: Scalars['Int']['output'];
  to: Scalars['DateTime']['output'];
};

/** Exactly one of subject or email. */
export type InitialAdminInput = {
  email?: InputMaybe<Scalars['String']['input']>;
  /** Hours the e-mail invitation may be accepted (default INVITATION_TTL_HOURS). */
  expiresInHours?: InputMaybe<Scalars['Int']['input']>;
  subject?: InputMaybe<Scalars['String']['input']>;
};

export type InviteMemberInput = {
  /** …or by e-mail: bound to the subject of the first sign-in whose token carries this e-mail, verified. */
  email?: InputMaybe<Scalars['String']['input']>;
  /** E-mail invitations: hours it may be accepted (1 to 720; default INVITATION_TTL_HOURS). Not for subjects. */
  expiresInHours?: InputMaybe<Scalars['Int']['input']>;
  role: MemberRole;
  /** Invite by OIDC subject… */
  subject?: InputMaybe<Scalars['String']['input']>;
  /** Platform admins only: the tenant (tenant admins act on their own). */
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};

export type Job = {
  __typename?: 'Job';
  /** How many times a worker has started this job (retries and recoveries included). */
  attempts: Scalars['Int']['output'];
  /** A running job was asked to stop and will at its next checkpoint. */
  cancelRequested: Scalars['Boolean']['output'];
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  error?: Maybe<JobError>;
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  input: JobInput;
  kind: JobKind;
  /** Training: the loss after each epoch so far. */
  lossHistory: Array<Scalars['Float']['output']>;
  /** Latest values (epoch, loss, rows…). */
  metrics?: Maybe<Array<JobMetric>>;
  /** What the job is doing now (e.g. 'loading data', 'epoch 12/100'). */
  phase?: Maybe<Scalars['String']['output']>;
  /** 0–100 */
  progress: Scalars['Int']['output'];
  result?: Maybe<JobResult>;
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  status: JobStatus;
  updatedAt: Scalars['DateTime']['output'];
};

export type JobConnection = {
  __typename?: 'JobConnection';
  edges: Array<JobEdge>;
  pageInfo: PageInfo;
};

export type JobEdge = {
  __typename?: 'JobEdge';
  cursor: Scalars['String']['output'];
  node: Job;
};

export type JobError = {
  __typename?: 'JobError';
  code: Scalars['String']['output'];
  message: Scalars['String']['output'];
};

/** A change of a job's state, as the worker published it. */
export type JobEvent = {
  __typename?: 'JobEvent';
  error?: Maybe<JobEventError>;
  jobId: Scalars['ID']['output'];
  kind: JobKind;
  /** e.g. loss per epoch while training */
  metrics?: Maybe<Array<JobMetric>>;
  occurredAt: Scalars['DateTime']['output'];
  phase?: Maybe<Scalars['String']['output']>;
  /** 0–100 */
  progress: Scalars['Int']['output'];
  status: JobStatus;
};

export type JobEventError = {
  __typename?: 'JobEventError';
  code: Scalars['String']['output'];
  message: Scalars['String']['output'];
};

export type JobFilter = {
  /** Only jobs whose input is this dataset version (training, profiling and batch inference all have one). */
  datasetVersionId?: InputMaybe<Scalars['ID']['input']>;
  kind?: InputMaybe<Array<JobKind>>;
  status?: InputMaybe<Array<JobStatus>>;
};

/** The resolved input of a job (defaults filled in); fields that do not apply to the kind are null. */
export type JobInput = {
  __typename?: 'JobInput';
  alias?: Maybe<Scalars['String']['output']>;
  columns?: Maybe<Array<Scalars['String']['output']>>;
  datasetVersionId: Scalars['ID']['output'];
  featureColumns?: Maybe<Array<Scalars['String']['output']>>;
  hyperParameters?: Maybe<HyperParameters>;
  modelId?: Maybe<Scalars['ID']['output']>;
  modelName?: Maybe<Scalars['String']['output']>;
  modelType?: Maybe<ModelType>;
  modelVersionId?: Maybe<Scalars['ID']['output']>;
  outputDatasetName?: Maybe<Scalars['String']['output']>;
  predictionColumn?: Maybe<Scalars['String']['output']>;
  targetColumn?: Maybe<Scalars['String']['output']>;
};

export type JobKind =
  | 'BATCH_INFERENCE'
  | 'PROFILE'
  | 'TRAIN';

export type JobMetric = {
  __typename?: 'JobMetric';
  name: Scalars['String']['output'];
  value: Scalars['Float']['output'];
};

/** The order of a job list, by submission time. */
export type JobOrder =
  /** E.g. a version's newest successful profile: `first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], status: [SUCCEEDED], datasetVersionId }`. */
  | 'NEWEST_FIRST'
  | 'OLDEST_FIRST';

export type JobResult = {
  __typename?: 'JobResult';
  bias?: Maybe<Scalars['Float']['output']>;
  /** BATCH_INFERENCE: the new dataset version holding the predictions. */
  datasetId?: Maybe<Scalars['ID']['output']>;
  datasetVersionId?: Maybe<Scalars['ID']['output']>;
  finalLoss?: Maybe<Scalars['Float']['output']>;
  /** TRAIN: the registered model version. */
  modelId?: Maybe<Scalars['ID']['output']>;
  modelVersionId?: Maybe<Scalars['ID']['output']>;
  modelVersionNumber?: Maybe<Scalars['Int']['output']>;
  predictedRows?: Maybe<Scalars['Int']['output']>;
  /** PROFILE */
  profile?: Maybe<DatasetProfile>;
  skippedRows?: Maybe<Scalars['Int']['output']>;
  trainingRows?: Maybe<Scalars['Int']['output']>;
  /** LINEAR/LOGISTIC_REGRESSION: one weight per feature column (raw units), and the bias. */
  weights?: Maybe<Array<Scalars['Float']['output']>>;
};

export type JobStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED';

export type KeyEncryptionKeyStatus = {
  __typename?: 'KeyEncryptionKeyStatus';
  keyName: Scalars['String']['output'];
  /** The version new wraps use. */
  latestVersion: Scalars['Int']['output'];
  /** Data keys still wrapped by the retired platform master key (see `tessera keys import-master-key`). */
  legacyWrappedDataKeys: Scalars['Int']['output'];
  /** Older versions are destroyed. */
  minAvailableVersion: Scalars['Int']['output'];
  /** Wraps of older versions are refused (retired). */
  minDecryptionVersion: Scalars['Int']['output'];
  /** The key provider's API: vault-transit (HashiCorp Vault, or the local key service that speaks it). */
  provider: Scalars['String']['output'];
  /** The latest rewrap run, if any. */
  rewrap?: Maybe<DataKeyRewrap>;
  versions: Array<KeyEncryptionKeyVersion>;
};

export type KeyEncryptionKeyVersion = {
  __typename?: 'KeyEncryptionKeyVersion';
  createdAt: Scalars['DateTime']['output'];
  retired: Scalars['Boolean']['output'];
  version: Scalars['Int']['output'];
  /** Tenant data keys this version wraps (they depend on it). */
  wrappedDataKeys: Scalars['Int']['output'];
};

export type KeyOperation = {
  __typename?: 'KeyOperation';
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  /** REENCRYPT (the tenant's objects), ROTATE_DATASET_KEY or ROTATE_MODEL_KEY (one dataset's or model's objects). */
  kind: Scalars['String']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  reencrypted: Scalars['Int']['output'];
  /** Objects still under an older version at the last batch (null before the first). */
  remaining?: Maybe<Scalars['Int']['output']>;
  startedAt: Scalars['DateTime']['output'];
  /** RUNNING, DONE or FAILED (lastError says why; start again to go on). */
  status: Scalars['String']['output'];
  /** The dataset or model of a ROTATE_* run (null for REENCRYPT). */
  targetId?: Maybe<Scalars['ID']['output']>;
  /** The key version every object is moved to (the tenant's data key, or the dataset's or model's own key). */
  targetVersion: Scalars['Int']['output'];
  tenantId: Scalars['ID']['output'];
  updatedAt: Scalars['DateTime']['output'];
};

/**
 * Who belongs to a tenant. Managed by the tenant's admins (a platform admin names the tenant with
 * `tenantId`; a tenant admin may leave it out, and naming another tenant gets NOT_FOUND).
 */
export type Member = {
  __typename?: 'Member';
  createdAt: Scalars['DateTime']['output'];
  /** Set for an e-mail invitation (lowercase). */
  email?: Maybe<Scalars['String']['output']>;
  /** Until when an e-mail invitation may be accepted; null for members (invited by subject, or already bound). */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  invitedBy: Scalars['String']['output'];
  role: MemberRole;
  status: MemberStatus;
  /** The OIDC subject it acts as: the one invited, or the one its e-mail invitation was bound to. */
  subject?: Maybe<Scalars['String']['output']>;
  updatedAt: Scalars['DateTime']['output'];
};

export type MemberAccessReview = {
  __typename?: 'MemberAccessReview';
  /** What it read or changed in the period. */
  accessed: Array<ResourceAccess>;
  email?: Maybe<Scalars['String']['output']>;
  /** Audited events in the period. */
  eventCount: Scalars['Int']['output'];
  /** Its last audited action up to `to`; null if none. */
  lastActivityAt?: Maybe<Scalars['DateTime']['output']>;
  memberId: Scalars['ID']['output'];
  neverActive: Scalars['Boolean']['output'];
  role: Scalars['String']['output'];
  /** Null for an e-mail invitation nobody has signed in with yet. */
  subject?: Maybe<Scalars['String']['output']>;
};

/** A tenant role: what a member or an API key may do in the tenant. */
export type MemberRole =
  /** Everything in the tenant, incl. deletes, the audit trail, members and keys. */
  | 'ADMIN'
  /** Read the audit trail, access reports and reviews, alerts, and the metadata needed to understand them (dataset and model names, versions, schemas); no data contents, no predictions, no changes. */
  | 'AUDITOR'
  /** Create, upload, run. */
  | 'DATA_SCIENTIST'
  /** Read. */
  | 'VIEWER';

export type MemberStatus =
  /** Invited by subject, or an e-mail invitation already bound at its first sign-in. */
  | 'ACTIVE'
  /** An e-mail invitation past its expiry: no longer accepted; re-send it (resendInvitation) or revoke it. */
  | 'EXPIRED'
  /** An e-mail invitation waiting for a sign-in whose token carries that e-mail, verified. */
  | 'INVITED';

export type MetricGranularity =
  | 'HOUR'
  | 'MINUTE';

export type Model = {
  __typename?: 'Model';
  aliases: Array<ModelAlias>;
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  description?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  latestVersion?: Maybe<ModelVersion>;
  name: Scalars['String']['output'];
  serving: ModelServing;
  /** NOT_FOUND if the model has no version with this number. */
  version: ModelVersion;
  versionCount: Scalars['Int']['output'];
  versions: ModelVersionConnection;
};


export type ModelVersionArgs = {
  number: Scalars['Int']['input'];
};


export type ModelVersionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type ModelAlias = {
  __typename?: 'ModelAlias';
  alias: Scalars['String']['output'];
  updatedAt: Scalars['DateTime']['output'];
  updatedBy: Scalars['String']['output'];
  version: ModelVersion;
};

export type ModelConnection = {
  __typename?: 'ModelConnection';
  edges: Array<ModelEdge>;
  pageInfo: PageInfo;
};

export type ModelEdge = {
  __typename?: 'ModelEdge';
  cursor: Scalars['String']['output'];
  node: Model;
};

export type ModelLineage = {
  __typename?: 'ModelLineage';
  /** The dataset version the model was trained on, when known. */
  datasetVersionId?: Maybe<Scalars['ID']['output']>;
  /** The job that produced the model, when known. */
  jobId?: Maybe<Scalars['ID']['output']>;
};

export type ModelServing = {
  __typename?: 'ModelServing';
  batching: Scalars['Boolean']['output'];
  maxBatchSize: Scalars['Int']['output'];
  maxDelayMs: Scalars['Int']['output'];
  timeoutMs: Scalars['Int']['output'];
};

export type ModelServingInput = {
  /** Merge concurrent predict calls for the same version into one run. */
  batching?: InputMaybe<Scalars['Boolean']['input']>;
  /** Largest merged batch, in rows (1–1024). */
  maxBatchSize?: InputMaybe<Scalars['Int']['input']>;
  /** How long the first call of a batch waits for others, in ms (0–100). */
  maxDelayMs?: InputMaybe<Scalars['Int']['input']>;
  /** Time limit per call, in ms (10–120000). */
  timeoutMs?: InputMaybe<Scalars['Int']['input']>;
};

export type ModelType =
  | 'LINEAR_REGRESSION'
  | 'LOGISTIC_REGRESSION'
  | 'MLP';

export type ModelUpload = {
  __typename?: 'ModelUpload';
  declaredBytes: Scalars['Int']['output'];
  expiresAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  method: Scalars['String']['output'];
  model: Model;
  status: ModelUploadStatus;
  /** PUT the file's bytes here, with `Authorization: Bearer <token>`. */
  uploadUrl: Scalars['String']['output'];
};

export type ModelUploadStatus =
  | 'COMPLETED'
  | 'FAILED'
  | 'PENDING'
  | 'RECEIVING'
  | 'UPLOADED';

export type ModelVersion = {
  __typename?: 'ModelVersion';
  /** Aliases pointing at this version. */
  aliases: Array<Scalars['String']['output']>;
  /** Size of the ONNX file in bytes. */
  byteSize: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  /** GET this with your access token to download the ONNX file (data_scientist or admin; audited). */
  downloadUrl: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  inputs: Array<TensorSignature>;
  irVersion: Scalars['Int']['output'];
  lineage: ModelLineage;
  model: Model;
  /** 1, 2, 3 … in registration order; never reused, and a version never changes. */
  number: Scalars['Int']['output'];
  opsets: Array<Opset>;
  outputs: Array<TensorSignature>;
  producer?: Maybe<Scalars['String']['output']>;
  sha256: Scalars['String']['output'];
};

export type ModelVersionConnection = {
  __typename?: 'ModelVersionConnection';
  edges: Array<ModelVersionEdge>;
  pageInfo: PageInfo;
};

export type ModelVersionEdge = {
  __typename?: 'ModelVersionEdge';
  cursor: Scalars['String']['output'];
  node: ModelVersion;
};

export type Mutation = {
  __typename?: 'Mutation';
  acknowledgeAlert: Alert;
  /** A queued job is cancelled at once; a running one stops at its next checkpoint (between epochs or chunks). */
  cancelJob: Job;
  /** Cancels a pending erasure during the grace period and resumes the tenant (CONFLICT, reason ERASURE_NOT_PENDING, once it started). */
  cancelTenantErasure: TenantErasure;
  /** The last admin cannot be demoted (CONFLICT, reason LAST_ADMIN). */
  changeMemberRole: Member;
  /** Step 3 of an upload: turns the uploaded content into a new immutable version of the dataset. */
  completeDatasetUpload: DatasetVersion;
  /** Step 3: the uploaded file becomes the model's next immutable version. */
  completeModelUpload: ModelVersion;
  /** Creates a key and returns its secret, once. */
  createApiKey: CreatedApiKey;
  /** Signs the current head of your tenant's audit chain now; null while the chain is empty (tenant admins only). */
  createAuditCheckpoint?: Maybe<AuditCheckpoint>;
  createDataset: Dataset;
  /**
   * Step 1 of an upload: reserves an upload for exactly `byteSize` bytes. Then PUT the file to
   * `uploadUrl` with your access token (it is encrypted on the way into storage and validated as
   * CSV), then call completeDatasetUpload.
   */
  createDatasetUpload: DatasetUpload;
  createModel: Model;
  /**
   * Step 1 of an upload of your own ONNX file: reserves an upload for exactly `byteSize` bytes. Then PUT
   * the file to `uploadUrl` with your access token (it is validated as an ONNX model onnxruntime can
   * run, then encrypted into storage), then call completeModelUpload.
   */
  createModelUpload: ModelUpload;
  createServiceAccount: ServiceAccount;
  /** Deletes the dataset, all its versions and all their stored objects (admin only). */
  deleteDataset: DeleteDatasetPayload;
  /** Deletes the model, all its versions and their files (admin only). CONFLICT while it has aliases. */
  deleteModel: DeleteModelPayload;
  /** Deletes one version and its file (admin only). CONFLICT while an alias points at it. */
  deleteModelVersion: DeleteModelVersionPayload;
  /** Deletes the account and all its keys (refused from the next request on). Returns what was deleted. */
  deleteServiceAccount: ServiceAccount;
  /** Destroys `version` and every older one at the provider, for good; only retired versions. platform_admin only. */
  destroyKeyEncryptionKeyVersion: KeyEncryptionKeyStatus;
  /** Writes [from, to] as NDJSON (encrypted) into your bucket, beside a proof object linking it to the chain (tenant admins and auditors). */
  exportAuditEvents: AuditExport;
  inviteMember: Member;
  /**
   * Asks for the tenant's data to move to another region. A tenant's region changes only this way
   * (provisioning again with another region is CONFLICT, reason REGION_IMMUTABLE); \`confirm\` must
   * repeat the tenant id. Audited in the platform security log and the tenant's log. Migrations are
   * offline only: the answer is CONFLICT, reason REGION_MIGRATION_OFFLINE, and nothing is moved.
   */
  migrateTenantRegion: Tenant;
  /**
   * Creates a tenant: control-plane record, its own MySQL schema (migrated), its own bucket in its
   * region and its first data key. Idempotent for the same id; a failure half-way leaves nothing.
   * CONFLICT (reason ERASURE_RUNNING) while an erasure of that id is running.
   */
  provisionTenant: ProvisionTenantPayload;
  /**
   * Re-encrypts every object of the tenant's datasets and models under its current data key, in the
   * background (resumable; reads keep working throughout). Rotate first when a key is suspected
   * compromised. Returns the running run if there is one. Tenant admin / platform admin naming the tenant.
   */
  reencryptTenantObjects: KeyOperation;
  removeAlertWebhook: Scalars['Boolean']['output'];
  /** Takes effect on the member's next request. The last admin cannot be removed (CONFLICT, reason LAST_ADMIN). Returns the removed member. */
  removeMember: Member;
  removeModelAlias: RemoveModelAliasPayload;
  /** Removes the budget of one meter (tenant admins only; audited). True when there was one. */
  removeUsageBudget: Scalars['Boolean']['output'];
  /**
   * Asks for the erasure of the tenant: everything it holds is destroyed after the grace period
   * (ERASURE_GRACE_HOURS). `confirm` repeats the tenant id. The tenant is suspended at once.
   * A tenant admin asks for its own tenant; a platform admin names it with `tenantId`.
   */
  requestTenantErasure: TenantErasure;
  /**
   * Gives a pending or expired e-mail invitation a new expiry (from now: expiresInHours, default
   * INVITATION_TTL_HOURS). CONFLICT (reason NOT_AN_INVITATION) for a member already signed in.
   */
  resendInvitation: Member;
  /** CONFLICT (reason ERASURE_PENDING, requestId) while an erasure of the tenant is pending or running: cancelling it resumes the tenant. */
  resumeTenant: Tenant;
  /**
   * Destroys an older version of a dataset's key for good. KEY_VERSION_IN_USE while any of the
   * dataset's objects is under it; BAD_USER_INPUT for the current or an unknown version.
   */
  retireDatasetKeyVersion: FamilyKey;
  /**
   * Retires `version` and every older one (the provider's min_decryption_version becomes version + 1).
   * KEY_VERSION_IN_USE while any wrapped data key still depends on them. platform_admin only.
   */
  retireKeyEncryptionKeyVersion: KeyEncryptionKeyStatus;
  /** As retireDatasetKeyVersion, for a model's key. */
  retireModelKeyVersion: FamilyKey;
  /**
   * Destroys an older data-key version for good. KEY_VERSION_IN_USE while objects are still encrypted
   * under it (re-encrypt first); BAD_USER_INPUT for the current or an unknown version.
   */
  retireTenantKeyVersion: TenantDataKeys;
  /** Runs a FAILED or CANCELLED job again, as a new attempt. */
  retryJob: Job;
  /** Refused from the next request on; revoking a revoked key changes nothing. */
  revokeApiKey: ApiKey;
  /** Withdraws a pending or expired e-mail invitation. CONFLICT (reason NOT_AN_INVITATION) for a member: use removeMember. */
  revokeInvitation: Member;
  /** Starts (or resumes) the rewrap to the latest KEK version, e.g. after a failed run. platform_admin only. */
  rewrapDataKeys: KeyEncryptionKeyStatus;
  /**
   * Rotates one dataset's own key: its new objects use the new version at once; a background run
   * (operation, see keyOperation) re-encrypts the dataset's objects under it while reads keep working,
   * then destroys the older versions. A rotation of the same dataset still running is joined
   * (coalesced: true), not repeated. Audited in the tenant's log and the platform security log.
   */
  rotateDatasetKey: FamilyKeyRotation;
  /**
   * A new KEK version: every new wrap uses it at once, and a background rewrap moves every wrapped
   * tenant data key to it (no downtime: both versions unwrap meanwhile). platform_admin only.
   */
  rotateKeyEncryptionKey: KeyEncryptionKeyStatus;
  /** Rotates one model's own key: as rotateDatasetKey, for the model's version files. */
  rotateModelKey: FamilyKeyRotation;
  /**
   * Rotates the tenant's data key now: new objects use the new version at once, older objects keep
   * decrypting with theirs. Audited (key.rotate) in the tenant's log and the platform security log.
   * The tenant's admin for its own tenant; a platform admin names the tenant.
   */
  rotateTenantKey: TenantDataKeys;
  /**
   * Writes the access review of `period` now (tenant admins only): `YYYY-MM` for a calendar month
   * (UTC) or `YYYY-MM-DD_P<n>D` for n days from a start on the n-day grid; default the last ended
   * period. Only an ended period can be reviewed. A period already reviewed is not written again:
   * its review is returned.
   */
  runAccessReview: AccessReview;
  /**
   * Sets the tenant's own review interval: a review every intervalDays days (1–366, on the grid of
   * n-day periods from 1970-01-01), or null for the platform's (ACCESS_REVIEW_INTERVAL, monthly by
   * default). Periods are owed from the change on (the one holding it included), never back-filled.
   * Tenant admins; audited as access_review.schedule.
   */
  setAccessReviewSchedule: AccessReviewSchedule;
  /** Overrides a platform default rule for your tenant. */
  setAlertRule: AlertRule;
  /**
   * Sets the webhook URL and generates a new signing secret, returned only in this answer. The URL must
   * be http(s) without credentials, and its host must not be (or resolve to) a loopback, private,
   * link-local or cloud-metadata address unless the platform operator allows that range.
   */
  setAlertWebhook: AlertWebhookSecret;
  /** Points an alias (`staging`, `production` or any lower-case name) at a version: created or moved atomically. */
  setModelAlias: ModelAlias;
  /** Sets or resets (null) the tenant's own limits; audited in the platform security log and the tenant's log. */
  setTenantLimits: Tenant;
  /**
   * Moves the tenant to another tier: which workers run its jobs (SHARED: its region's shared pool;
   * DEDICATED: its own). It bites at once: every service drops its cached record of the tenant, its
   * queued jobs move to the new pool, and the pool it left is refused for it from then on (a job that
   * pool is running is stopped at its next call and run again by the new pool). The same tier again
   * changes nothing. CONFLICT (reason ERASURE_PENDING, requestId) while an erasure of the tenant is
   * pending or running. Audited in the platform security log and the tenant's log.
   */
  setTenantTier: Tenant;
  /**
   * Sets the monthly budget of one meter (tenant admins only; audited). Reaching `softPercent` of
   * the limit raises an alert (rule USAGE_BUDGET: stored, webhooked, on the `alerts` subscription)
   * once per budget and month; reaching the limit refuses new work of that meter with
   * QUOTA_EXCEEDED (`extensions.quota` = "budget.<meter>"), while reads keep working.
   */
  setUsageBudget: UsageBudget;
  /** Runs a model version (or a model's alias) over a dataset version; the predictions become a new dataset version. */
  submitBatchInferenceJob: Job;
  /** Per-column statistics of a dataset version. */
  submitProfileJob: Job;
  /**
   * Trains a model on a dataset version in a worker and registers the result as a new version of
   * `modelName` (created if missing), with lineage (dataset version, job). Validated now: unknown
   * dataset version → NOT_FOUND; unknown or non-numeric columns, empty dataset, hyper-parameters out
   * of bounds → BAD_USER_INPUT naming the field; too many unfinished jobs → QUOTA_EXCEEDED.
   */
  submitTrainingJob: Job;
  /** Suspended tenants' tokens are refused (FORBIDDEN) at the gateway; data is kept. */
  suspendTenant: Tenant;
  /** How predict calls for this model are served (dynamic batching, time limit). */
  updateModelServing: Model;
};


export type MutationAcknowledgeAlertArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCancelJobArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCancelTenantErasureArgs = {
  id: Scalars['ID']['input'];
};


export type MutationChangeMemberRoleArgs = {
  id: Scalars['ID']['input'];
  role: MemberRole;
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationCompleteDatasetUploadArgs = {
  uploadId: Scalars['ID']['input'];
};


export type MutationCompleteModelUploadArgs = {
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  uploadId: Scalars['ID']['input'];
};


export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


export type MutationCreateDatasetArgs = {
  input: CreateDatasetInput;
};


export type MutationCreateDatasetUploadArgs = {
  input: CreateDatasetUploadInput;
};


export type MutationCreateModelArgs = {
  input: CreateModelInput;
};


export type MutationCreateModelUploadArgs = {
  input: CreateModelUploadInput;
};


export type MutationCreateServiceAccountArgs = {
  input: CreateServiceAccountInput;
};


export type MutationDeleteDatasetArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteModelArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteModelVersionArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteServiceAccountArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationDestroyKeyEncryptionKeyVersionArgs = {
  version: Scalars['Int']['input'];
};


export type MutationExportAuditEventsArgs = {
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
};


export type MutationInviteMemberArgs = {
  input: InviteMemberInput;
};


export type MutationMigrateTenantRegionArgs = {
  confirm: Scalars['String']['input'];
  id: Scalars['ID']['input'];
  toRegion: Scalars['String']['input'];
};


export type MutationProvisionTenantArgs = {
  input: ProvisionTenantInput;
};


export type MutationReencryptTenantObjectsArgs = {
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationRemoveMemberArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationRemoveModelAliasArgs = {
  alias: Scalars['String']['input'];
  modelId: Scalars['ID']['input'];
};


export type MutationRemoveUsageBudgetArgs = {
  meter: UsageMeter;
};


export type MutationRequestTenantErasureArgs = {
  confirm: Scalars['String']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationResendInvitationArgs = {
  expiresInHours?: InputMaybe<Scalars['Int']['input']>;
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationResumeTenantArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRetireDatasetKeyVersionArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
  version: Scalars['Int']['input'];
};


export type MutationRetireKeyEncryptionKeyVersionArgs = {
  version: Scalars['Int']['input'];
};


export type MutationRetireModelKeyVersionArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
  version: Scalars['Int']['input'];
};


export type MutationRetireTenantKeyVersionArgs = {
  tenantId?: InputMaybe<Scalars['ID']['input']>;
  version: Scalars['Int']['input'];
};


export type MutationRetryJobArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationRevokeInvitationArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationRotateDatasetKeyArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationRotateModelKeyArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationRotateTenantKeyArgs = {
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationRunAccessReviewArgs = {
  period?: InputMaybe<Scalars['String']['input']>;
};


export type MutationSetAccessReviewScheduleArgs = {
  intervalDays?: InputMaybe<Scalars['Int']['input']>;
};


export type MutationSetAlertRuleArgs = {
  input: AlertRuleInput;
};


export type MutationSetAlertWebhookArgs = {
  url: Scalars['String']['input'];
};


export type MutationSetModelAliasArgs = {
  input: SetModelAliasInput;
};


export type MutationSetTenantLimitsArgs = {
  id: Scalars['ID']['input'];
  limits: TenantLimitsInput;
};


export type MutationSetTenantTierArgs = {
  id: Scalars['ID']['input'];
  tier: TenantTier;
};


export type MutationSetUsageBudgetArgs = {
  input: UsageBudgetInput;
};


export type MutationSubmitBatchInferenceJobArgs = {
  input: SubmitBatchInferenceJobInput;
};


export type MutationSubmitProfileJobArgs = {
  input: SubmitProfileJobInput;
};


export type MutationSubmitTrainingJobArgs = {
  input: SubmitTrainingJobInput;
};


export type MutationSuspendTenantArgs = {
  id: Scalars['ID']['input'];
};


export type MutationUpdateModelServingArgs = {
  input: ModelServingInput;
  modelId: Scalars['ID']['input'];
};

export type OperationMetrics = {
  __typename?: 'OperationMetrics';
  errorRate: Scalars['Float']['output'];
  errors: Scalars['Int']['output'];
  latencyP50Ms?: Maybe<Scalars['Float']['output']>;
  latencyP95Ms?: Maybe<Scalars['Float']['output']>;
  latencyP99Ms?: Maybe<Scalars['Float']['output']>;
  maxLatencyMs?: Maybe<Scalars['Float']['output']>;
  meanLatencyMs?: Maybe<Scalars['Float']['output']>;
  /** The operation's name, or (anonymous), (invalid), (other) or (predict route) (POST /v1/predict). */
  operationName: Scalars['String']['output'];
  operationType: OperationType;
  requests: Scalars['Int']['output'];
};

export type OperationType =
  /** The request did not parse or validate, so it has no operation. */
  | 'INVALID'
  | 'MUTATION'
  | 'QUERY'
  | 'SUBSCRIPTION';

export type Opset = {
  __typename?: 'Opset';
  /** '' is the default ONNX domain. */
  domain: Scalars['String']['output'];
  version: Scalars['Int']['output'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type PredictInput = {
  alias?: InputMaybe<Scalars['String']['input']>;
  inputs: Array<TensorInput>;
  modelId?: InputMaybe<Scalars['ID']['input']>;
  modelName?: InputMaybe<Scalars['String']['input']>;
  version?: InputMaybe<Scalars['Int']['input']>;
};

export type Prediction = {
  __typename?: 'Prediction';
  /** How many predict calls shared the run that served this one (1 = it ran alone). */
  batchSize: Scalars['Int']['output'];
  latencyMs: Scalars['Float']['output'];
  modelVersion: ModelVersion;
  /** In the order the model declares its outputs. */
  outputs: Array<TensorOutput>;
};

/** A role as the API enforces it: a tenant role, or the platform operator's. */
export type PrincipalRole =
  | 'ADMIN'
  | 'AUDITOR'
  | 'DATA_SCIENTIST'
  /** Manages tenants; holds no tenant and sees no tenant data. */
  | 'PLATFORM_ADMIN'
  | 'VIEWER';

export type ProvisionTenantInput = {
  displayName: Scalars['String']['input'];
  /** 3–32 characters: lowercase letters, digits and single hyphens, starting with a letter. */
  id: Scalars['ID']['input'];
  /**
   * The tenant's first admin, created with the tenant (before it turns ACTIVE; a failure leaves no
   * tenant): a member by OIDC subject, or an e-mail invitation. Required when roles come from
   * Tessera's members (ROLE_SOURCE=members), where a tenant without one could never be used;
   * optional with ROLE_SOURCE=claims. Ignored when the tenant already exists (its admins manage its
   * members).
   */
  initialAdmin?: InputMaybe<InitialAdminInput>;
  limits?: InputMaybe<TenantLimitsInput>;
  region: Scalars['String']['input'];
  tier?: InputMaybe<TenantTier>;
};

export type ProvisionTenantPayload = {
  __typename?: 'ProvisionTenantPayload';
  /** False when the tenant already existed (provisioning is idempotent). */
  created: Scalars['Boolean']['output'];
  /** The first admin created with the tenant (null when none was given, or the tenant already existed). */
  initialAdmin?: Maybe<Member>;
  tenant: Tenant;
};

export type Query = {
  __typename?: 'Query';
  /** The periodic access review for [from, to] (tenant admins and auditors). */
  accessReport: AccessReport;
  /** One access review (tenant admins and auditors); another tenant's id is NOT_FOUND. */
  accessReview: AccessReview;
  /** The tenant's access-review interval in force (admins and auditors). */
  accessReviewSchedule: AccessReviewSchedule;
  /** Your tenant's access reviews, newest period first (tenant admins and auditors). At most 100 per page. */
  accessReviews: AccessReviewConnection;
  /** The alert rules in force: platform defaults and your overrides (tenant admins and auditors). */
  alertRules: Array<AlertRule>;
  /** Where alerts are POSTed, if configured (the secret is never shown again). */
  alertWebhook?: Maybe<AlertWebhook>;
  /** Your tenant's alerts, newest first (tenant admins and auditors); new audit events are evaluated before answering. */
  alerts: Array<Alert>;
  /**
   * What anomaly detection flagged for your tenant in [from, to] (by window start, at most 92 days),
   * newest first. Buckets that settled since the last detection pass are judged before answering.
   */
  anomalies: Array<Anomaly>;
  /** The signed checkpoints of your tenant's audit chain, oldest first (tenant admins and auditors). */
  auditCheckpoints: Array<AuditCheckpoint>;
  /** Your tenant's audit trail, oldest first by time, then by sequence number, filtered (tenant admins and auditors). At most 100 per page. */
  auditEvents: AuditEventConnection;
  /** The public keys audit checkpoints verify under (current first, then retired keys still trusted), to check an export's chain proof offline (tenant admins and auditors). */
  auditSigningKeys: Array<AuditSigningKey>;
  /** Your own tenant (any tenant user). */
  currentTenant: Tenant;
  /** One dataset; NOT_FOUND if your tenant has no dataset with this id. */
  dataset: Dataset;
  /** One dataset's own key: its versions and the objects under each. The tenant's admin; a platform admin names the tenant. */
  datasetKey: FamilyKey;
  datasetVersion: DatasetVersion;
  /** Datasets of your tenant, oldest first. */
  datasets: DatasetConnection;
  /**
   * Inference numbers of one model (all its versions) per MINUTE (the default) or HOUR, between
   * `from` (default: an hour before `to`) and `to` (default: now), at most 31 days. NOT_FOUND if your
   * tenant has no such model. The minute (hour) holding `from` counts whole, and every minute up to
   * the one holding `to`. At most 3 000 entries (one per version and minute, or hour, it was called)
   * per answer: a range holding more is BAD_USER_INPUT (field `from`); ask for a shorter one, or per
   * HOUR (31 days of four versions fit). Written by the serving process every few seconds, so the
   * current minute lags slightly.
   */
  inferenceStats: InferenceStats;
  /** One job; NOT_FOUND if your tenant has no job with this id. */
  job: Job;
  /**
   * Jobs of your tenant, oldest first (or newest first with `order: NEWEST_FIRST`); optionally only
   * some statuses, kinds or one input dataset version. At most 100 per page.
   */
  jobs: JobConnection;
  /**
   * The platform's key-encryption key (KEK) at the key provider: its versions, how many tenant data
   * keys each one wraps, and the latest rewrap run. platform_admin only.
   */
  keyEncryptionKeyStatus: KeyEncryptionKeyStatus;
  /** A re-encryption run: the tenant's admin for its own tenant's runs, a platform admin for any. */
  keyOperation: KeyOperation;
  /**
   * Who you are as every rule of the API sees you: your subject, the tenant your token names and the
   * roles that decide what you may do there. With ROLE_SOURCE=members these are your membership's
   * role in that tenant, not your token's roles claim (clients such as the console show or hide
   * actions by them). Any signed-in caller; answers only for the caller's own tenant.
   */
  me: CurrentPrincipal;
  /** The tenant's members (tenant admins and auditors, read-only; platform admins name the tenant). */
  members: Array<Member>;
  /** One model; NOT_FOUND if your tenant has no model with this id. */
  model: Model;
  /** One model by its name (case-insensitive); NOT_FOUND if your tenant has none. */
  modelByName: Model;
  /** One model's own key (its version files): as datasetKey. */
  modelKey: FamilyKey;
  /** One version by its id. */
  modelVersion: ModelVersion;
  /** Models registered in your tenant, oldest first. */
  models: ModelConnection;
  /**
   * Every tenant's metered totals over [from, to] (at most 366 days; hours overlapping the range
   * count), sorted by one meter (default COST_UNITS, largest first). platform_admin only: read from
   * the control plane and each tenant schema's aggregated usage meters, never tenant data.
   */
  platformUsage: Array<TenantUsageTotals>;
  /**
   * Runs a model version on your inputs in your tenant's own inference pool. Address the model by
   * `modelId` or `modelName` and the version by `version` (number) or `alias` (exactly one of each).
   * Inputs are checked against the version's signature first (BAD_USER_INPUT names the input and the
   * problem). Any role of the tenant may predict.
   */
  predict: Prediction;
  /**
   * Your tenant's GraphQL requests as the gateway measured them, per MINUTE (range at most 24 hours)
   * or HOUR (at most 62 days), optionally for one operation type and/or name. Points cover every
   * minute/hour from the one holding `from` to the one holding `to`, zeros included. Gateways write
   * every few seconds, so the current minute lags slightly.
   */
  requestMetrics: RequestMetrics;
  /** The tenant's service accounts and their keys (never the secrets); tenant admins and auditors. */
  serviceAccounts: Array<ServiceAccount>;
  /** One tenant (platform_admin only). */
  tenant: Tenant;
  /**
   * A tenant's data keys: versions (the newest ACTIVE one encrypts new objects; RETIRED ones still
   * decrypt what they wrote) and the rotation schedule. The tenant's admin for its own tenant (naming
   * another tenant is NOT_FOUND); a platform admin names the tenant.
   */
  tenantDataKeys: TenantDataKeys;
  /** An erasure request by id: platform admins (also after the tenant is gone, with its receipt), or the tenant's admins. */
  tenantErasure: TenantErasure;
  /** What your tenant holds right now, counted in your tenant's own schema. */
  tenantUsage: TenantUsage;
  /** Every tenant (platform_admin only). */
  tenants: Array<Tenant>;
  /** TRAIN jobs created in [from, to] (at most 366 days): outcomes and run times. */
  trainingMetrics: TrainingMetrics;
  /** Your tenant's monthly budgets, each with this month's usage (tenant admins only). */
  usageBudgets: Array<UsageBudget>;
  /**
   * What your tenant consumed, metered per hour (tenant admins only): points per HOUR (range at most
   * 31 days), DAY (at most 366 days) or MONTH (at most 36 months, calendar months in UTC) from the
   * one holding `from` to the one holding `to`, zeros included, each with every meter, and the total
   * of the range. Meters are written every few seconds, so the current hour lags slightly.
   */
  usageReport: UsageReport;
  /** Recomputes your tenant's audit hash chain over [from, to] (default: all of it) and checks every signed checkpoint in range (tenant admins and auditors). */
  verifyAuditChain: AuditChainVerification;
  /** Checks an erasure receipt's signature against the audit signing keys (platform_admin; anyone can check offline with the published keys). */
  verifyErasureReceipt: ErasureReceiptVerification;
  /** Recomputes the platform security log's hash chain and its signed checkpoints (platform_admin only). */
  verifySecurityLog: AuditChainVerification;
};


export type QueryAccessReportArgs = {
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
};


export type QueryAccessReviewArgs = {
  id: Scalars['ID']['input'];
};


export type QueryAccessReviewsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryAlertsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<AlertStatus>;
};


export type QueryAnomaliesArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
  from: Scalars['DateTime']['input'];
  metric?: InputMaybe<AnomalyMetric>;
  to: Scalars['DateTime']['input'];
};


export type QueryAuditEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<AuditEventFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryDatasetArgs = {
  id: Scalars['ID']['input'];
};


export type QueryDatasetKeyArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryDatasetVersionArgs = {
  id: Scalars['ID']['input'];
};


export type QueryDatasetsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryInferenceStatsArgs = {
  from?: InputMaybe<Scalars['DateTime']['input']>;
  granularity?: InputMaybe<MetricGranularity>;
  modelId: Scalars['ID']['input'];
  to?: InputMaybe<Scalars['DateTime']['input']>;
};


export type QueryJobArgs = {
  id: Scalars['ID']['input'];
};


export type QueryJobsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<JobFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  order?: InputMaybe<JobOrder>;
};


export type QueryKeyOperationArgs = {
  id: Scalars['ID']['input'];
};


export type QueryMembersArgs = {
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryModelArgs = {
  id: Scalars['ID']['input'];
};


export type QueryModelByNameArgs = {
  name: Scalars['String']['input'];
};


export type QueryModelKeyArgs = {
  id: Scalars['ID']['input'];
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryModelVersionArgs = {
  id: Scalars['ID']['input'];
};


export type QueryModelsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryPlatformUsageArgs = {
  from: Scalars['DateTime']['input'];
  meter?: InputMaybe<UsageMeter>;
  order?: InputMaybe<UsageOrder>;
  to: Scalars['DateTime']['input'];
};


export type QueryPredictArgs = {
  input: PredictInput;
};


export type QueryRequestMetricsArgs = {
  from: Scalars['DateTime']['input'];
  granularity?: InputMaybe<MetricGranularity>;
  operationName?: InputMaybe<Scalars['String']['input']>;
  operationType?: InputMaybe<OperationType>;
  to: Scalars['DateTime']['input'];
};


export type QueryServiceAccountsArgs = {
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryTenantArgs = {
  id: Scalars['ID']['input'];
};


export type QueryTenantDataKeysArgs = {
  tenantId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryTenantErasureArgs = {
  id: Scalars['ID']['input'];
};


export type QueryTrainingMetricsArgs = {
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
};


export type QueryUsageReportArgs = {
  from: Scalars['DateTime']['input'];
  granularity?: InputMaybe<UsageGranularity>;
  to: Scalars['DateTime']['input'];
};


export type QueryVerifyAuditChainArgs = {
  from?: InputMaybe<Scalars['Int']['input']>;
  to?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryVerifyErasureReceiptArgs = {
  receipt: Scalars['String']['input'];
};


export type QueryVerifySecurityLogArgs = {
  from?: InputMaybe<Scalars['Int']['input']>;
  to?: InputMaybe<Scalars['Int']['input']>;
};

/**
 * One quota beside your tenant's limit for it (the tenant's override, else the platform default).
 * Stored quotas: used plus reserved never passes limit; a write that does not fit is QUOTA_EXCEEDED.
 * Live quotas: used is what the enforcing counter holds when you ask; going past limit is refused
 * (QUOTA_EXCEEDED or RATE_LIMITED), except maxConcurrentJobs, where a job waits its turn.
 */
export type QuotaUsage = {
  __typename?: 'QuotaUsage';
  limit: Scalars['Float']['output'];
  /**
   * Stored quotas: storageBytes (everything in your bucket, encrypted size), datasets,
   * datasetVersions, models or modelVersions. Live quotas, named by their tenant limit:
   * maxQueuedJobs: unfinished jobs (queued + running), the count each submit is checked against.
   * maxConcurrentJobs: jobs running now, i.e. the running-slot leases the workers hold.
   * predictionsPerMinute: predictions admitted in the current UTC minute across every models
   * replica (refused calls do not count).
   * maxPredictionsInFlight: predictions accepted and not yet answered across the models replicas,
   * as each replica last reported it (every 250 ms).
   * maxOpenSubscriptions: subscriptions open across every gateway replica (one on a gateway that
   * died counts until its 30 s lease runs out).
   * costPerMinute: gateway cost units admitted in the current UTC minute across the gateway
   * replicas, as each has synced them (every 250 ms). The limit itself is a bucket of costPerMinute
   * units refilled continuously, not reset at the minute, so this count can pass limit (by at most
   * what the bucket still held when the minute began) with nothing refused.
   * Live counts are shared through Redis; a replica that runs without Redis, or has lost it, limits
   * alone and its counts are not in these numbers.
   */
  name: Scalars['String']['output'];
  /** Promised to writes in progress (pending uploads, job outputs being stored); always 0 for live quotas. */
  reserved: Scalars['Float']['output'];
  used: Scalars['Float']['output'];
  /** 60 for a rate counted per calendar minute (UTC: used is the current minute so far); null for a count of what is held now. */
  windowSeconds?: Maybe<Scalars['Int']['output']>;
};

export type RemoveModelAliasPayload = {
  __typename?: 'RemoveModelAliasPayload';
  alias: Scalars['String']['output'];
  modelId: Scalars['ID']['output'];
  /** The version the alias pointed at. */
  versionNumber: Scalars['Int']['output'];
};

export type RequestMetrics = {
  __typename?: 'RequestMetrics';
  from: Scalars['DateTime']['output'];
  granularity: MetricGranularity;
  /** The busiest operations of the range (at most 100). Names beyond the gateway's per-minute cap are counted under (other). */
  operations: Array<OperationMetrics>;
  points: Array<RequestMetricsPoint>;
  to: Scalars['DateTime']['output'];
  /** The whole range in one point. */
  total: RequestMetricsPoint;
};

export type RequestMetricsPoint = {
  __typename?: 'RequestMetricsPoint';
  end: Scalars['DateTime']['output'];
  errorRate: Scalars['Float']['output'];
  /** Requests whose response held at least one error. */
  errors: Scalars['Int']['output'];
  /** Failed requests per error code (a request counts once per distinct code). */
  errorsByCode: Array<ErrorCodeCount>;
  /** Percentiles estimated from a fixed latency histogram (5 ms … 10 s buckets, linear within a bucket). Null without requests. */
  latencyP50Ms?: Maybe<Scalars['Float']['output']>;
  latencyP95Ms?: Maybe<Scalars['Float']['output']>;
  latencyP99Ms?: Maybe<Scalars['Float']['output']>;
  maxLatencyMs?: Maybe<Scalars['Float']['output']>;
  meanLatencyMs?: Maybe<Scalars['Float']['output']>;
  requests: Scalars['Int']['output'];
  start: Scalars['DateTime']['output'];
};

export type ResourceAccess = {
  __typename?: 'ResourceAccess';
  actions: Array<Scalars['String']['output']>;
  count: Scalars['Int']['output'];
  lastAccessAt: Scalars['DateTime']['output'];
  subject: Scalars['String']['output'];
  targetId: Scalars['String']['output'];
  targetType: Scalars['String']['output'];
};

export type RoleHolder = {
  __typename?: 'RoleHolder';
  client?: Maybe<Scalars['String']['output']>;
  lastSeenAt: Scalars['DateTime']['output'];
  /** Every role set the principal presented, oldest first: more than one means its roles changed. */
  roleHistory: Array<RoleSet>;
  /** The roles presented on the principal's most recent request. */
  roles: Array<Scalars['String']['output']>;
  subject: Scalars['String']['output'];
};

export type RoleSet = {
  __typename?: 'RoleSet';
  firstSeenAt: Scalars['DateTime']['output'];
  lastSeenAt: Scalars['DateTime']['output'];
  roles: Array<Scalars['String']['output']>;
};

export type ServiceAccount = {
  __typename?: 'ServiceAccount';
  apiKeys: Array<ApiKey>;
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  /** The most any of its keys may hold. */
  role: MemberRole;
  /** How its keys' requests appear in audit events and the access review. */
  subject: Scalars['String']['output'];
};

export type ServiceAccountAccessReview = {
  __typename?: 'ServiceAccountAccessReview';
  accessed: Array<ResourceAccess>;
  /** Keys neither revoked nor expired. */
  activeKeys: Scalars['Int']['output'];
  eventCount: Scalars['Int']['output'];
  /** Its last audited action or key use up to `to`; null if none. */
  lastActivityAt?: Maybe<Scalars['DateTime']['output']>;
  name: Scalars['String']['output'];
  neverActive: Scalars['Boolean']['output'];
  role: Scalars['String']['output'];
  serviceAccountId: Scalars['ID']['output'];
  /** How its keys' requests appear in audit events: service-account:<id>. */
  subject: Scalars['String']['output'];
};

export type SetModelAliasInput = {
  /** Lower-case letters, digits, '_' or '-', starting with a letter (e.g. staging, production). */
  alias: Scalars['String']['input'];
  modelId: Scalars['ID']['input'];
  /** The version number the alias should point at. */
  version: Scalars['Int']['input'];
};

export type StaleAccessFinding = {
  __typename?: 'StaleAccessFinding';
  /** The alert it raised or joined; null while your STALE_ACCESS rule is disabled. */
  alertId?: Maybe<Scalars['ID']['output']>;
  grantedAt: Scalars['DateTime']['output'];
  idleDays: Scalars['Int']['output'];
  /** E-mail or subject, account name, or key and account. */
  label: Scalars['String']['output'];
  /** Its last known use; null if never used. */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  /** True when this review raised the alert; false when an earlier review's alert is still open. */
  newAlert: Scalars['Boolean']['output'];
  /** Member id, service account id or API key id. */
  principalId: Scalars['ID']['output'];
  principalType: AccessPrincipalType;
  role: Scalars['String']['output'];
  /** How it appears in audit events; null for an e-mail invitation nobody signed in with yet. */
  subject?: Maybe<Scalars['String']['output']>;
};

export type SubmitBatchInferenceJobInput = {
  alias?: InputMaybe<Scalars['String']['input']>;
  datasetVersionId: Scalars['ID']['input'];
  /** Columns fed to the model, in order; default: the training job's features, else every numeric column. */
  featureColumns?: InputMaybe<Array<Scalars['String']['input']>>;
  modelId?: InputMaybe<Scalars['ID']['input']>;
  /** The version to run; or give modelId and alias. */
  modelVersionId?: InputMaybe<Scalars['ID']['input']>;
  /** The dataset the predictions become a version of (created if missing); default '<dataset name>-predictions'. */
  outputDatasetName?: InputMaybe<Scalars['String']['input']>;
  predictionColumn?: InputMaybe<Scalars['String']['input']>;
};

export type SubmitProfileJobInput = {
  /** Default: every column. */
  columns?: InputMaybe<Array<Scalars['String']['input']>>;
  datasetVersionId: Scalars['ID']['input'];
};

export type SubmitTrainingJobInput = {
  datasetVersionId: Scalars['ID']['input'];
  /** Numeric columns; default: every other numeric column. */
  featureColumns?: InputMaybe<Array<Scalars['String']['input']>>;
  hyperParameters?: InputMaybe<HyperParametersInput>;
  /** Default: '<dataset name>-<model type>'. */
  modelName?: InputMaybe<Scalars['String']['input']>;
  modelType: ModelType;
  /** A numeric column (INTEGER, FLOAT or BOOLEAN); 0/1 for LOGISTIC_REGRESSION. */
  targetColumn: Scalars['String']['input'];
};

export type Subscription = {
  __typename?: 'Subscription';
  /** Alerts of your tenant as they fire (tenant admins and auditors). */
  alerts: Alert;
  /** Every job event of your tenant, as it happens (never another tenant's). */
  jobEvents: JobEvent;
  /** One job of your tenant: its current state first, then every change; completes after SUCCEEDED, FAILED or CANCELLED. NOT_FOUND if your tenant has no job with this id. */
  jobProgress: JobEvent;
};


export type SubscriptionJobProgressArgs = {
  jobId: Scalars['ID']['input'];
};

export type Tenant = {
  __typename?: 'Tenant';
  createdAt: Scalars['DateTime']['output'];
  displayName: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** The limits in force: the platform defaults with this tenant's overrides. */
  limits: TenantLimits;
  /** The names of the limits set for this tenant alone (the others follow the platform defaults). */
  overriddenLimits: Array<Scalars['String']['output']>;
  /** Where this tenant's data is stored (data residency). */
  region: Scalars['String']['output'];
  status: TenantStatus;
  tier: TenantTier;
};

export type TenantDataKeyVersion = {
  __typename?: 'TenantDataKeyVersion';
  createdAt: Scalars['DateTime']['output'];
  /** The key-encryption key version this data key is wrapped with. */
  kekVersion?: Maybe<Scalars['Int']['output']>;
  /** ACTIVE (encrypts new objects) or RETIRED (decrypts the objects it wrote). */
  status: Scalars['String']['output'];
  version: Scalars['Int']['output'];
};

export type TenantDataKeys = {
  __typename?: 'TenantDataKeys';
  /** The version new objects are encrypted with. */
  currentVersion: Scalars['Int']['output'];
  nextRotationAt: Scalars['DateTime']['output'];
  /** The tenant's keyRotationDays limit: the current key is rotated by itself once this old. */
  rotationDays: Scalars['Int']['output'];
  tenantId: Scalars['ID']['output'];
  versions: Array<TenantDataKeyVersion>;
};

export type TenantErasure = {
  __typename?: 'TenantErasure';
  cancelledAt?: Maybe<Scalars['String']['output']>;
  erasedAt?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** The signed erasure receipt (compact JWS), once erased. */
  receipt?: Maybe<Scalars['String']['output']>;
  requestedAt: Scalars['String']['output'];
  /** When the erasure starts; cancellable until then. */
  scheduledFor: Scalars['String']['output'];
  status: TenantErasureStatus;
  /** Null once the tenant is erased. */
  tenantId?: Maybe<Scalars['ID']['output']>;
  /** SHA-256 of the tenant id (hex): ties the request and its receipt to the tenant without naming it. */
  tenantIdHash: Scalars['String']['output'];
};

export type TenantErasureStatus =
  | 'CANCELLED'
  | 'ERASED'
  | 'PENDING'
  | 'RUNNING';

export type TenantLimits = {
  __typename?: 'TenantLimits';
  /** Cost units the tenant may spend at once: the rate limit's burst (refilled at costPerMinute; capped by it). */
  costBurst: Scalars['Float']['output'];
  /** Gateway cost units per minute for the whole tenant (a cheap operation costs 1). */
  costPerMinute: Scalars['Float']['output'];
  /** Resident memory of one inference process, MiB; over it the process is killed and replaced. */
  inferenceProcessMemoryMb: Scalars['Int']['output'];
  /** Inference processes in the tenant's pool, per models replica (the host's bound caps it). */
  inferenceProcesses: Scalars['Int']['output'];
  /** onnxruntime intra-op threads per inference process (the host's bound caps it). */
  inferenceThreads: Scalars['Int']['output'];
  /** Age in days after which the tenant's data key is rotated by itself (new objects use the new key). */
  keyRotationDays: Scalars['Int']['output'];
  /** Unrevoked API keys of one service account (expired ones count until revoked). */
  maxApiKeysPerServiceAccount: Scalars['Int']['output'];
  /** Jobs running at the same time. */
  maxConcurrentJobs: Scalars['Int']['output'];
  /** Queries and mutations running at once per gateway replica; more wait in the tenant's own queue (RATE_LIMITED when it is full). */
  maxConcurrentOperations: Scalars['Int']['output'];
  /** Dataset versions over all datasets. */
  maxDatasetVersions: Scalars['Int']['output'];
  /** Datasets the tenant keeps. */
  maxDatasets: Scalars['Int']['output'];
  /** Seconds one run of a job may take (at most 604800, seven days); past it the job fails JOB_TIME_LIMIT. */
  maxJobRunSeconds: Scalars['Int']['output'];
  /** Members, counting e-mail invitations pending or expired. */
  maxMembers: Scalars['Int']['output'];
  /** Model versions over all models. */
  maxModelVersions: Scalars['Int']['output'];
  /** Models the tenant keeps. */
  maxModels: Scalars['Int']['output'];
  /** Subscriptions open at once, across every gateway replica. */
  maxOpenSubscriptions: Scalars['Int']['output'];
  /** Aliased fields in one operation (counted once per place a fragment is spread). */
  maxOperationAliases: Scalars['Int']['output'];
  /** Cost of one operation: field weights times list sizes (see the README's limits table). */
  maxOperationCost: Scalars['Float']['output'];
  /** Field nesting of one operation (introspection included). */
  maxOperationDepth: Scalars['Int']['output'];
  /** Directives in one operation. */
  maxOperationDirectives: Scalars['Int']['output'];
  /** Root fields of one operation. */
  maxOperationRootFields: Scalars['Int']['output'];
  /** Lexical tokens in one document. */
  maxOperationTokens: Scalars['Int']['output'];
  /** Predictions accepted and not yet answered (queued + running) at the same time. */
  maxPredictionsInFlight: Scalars['Int']['output'];
  /** Unfinished (queued + running) jobs. */
  maxQueuedJobs: Scalars['Int']['output'];
  /** Predictions waiting for a free inference process of the tenant's pool. */
  maxQueuedPredictions: Scalars['Int']['output'];
  /** Service accounts. */
  maxServiceAccounts: Scalars['Int']['output'];
  /** Everything the tenant keeps in its bucket, bytes. */
  maxStorageBytes: Scalars['Float']['output'];
  /** Largest single upload (dataset CSV, model file), bytes. */
  maxUploadBytes: Scalars['Float']['output'];
  /** Predictions started per minute, across all models-service replicas. */
  predictionsPerMinute: Scalars['Int']['output'];
};

/**
 * Limits for one tenant. A limit left out is unchanged (at provisioning: follows the platform
 * default); in setTenantLimits a limit set to null goes back to the platform default.
 */
export type TenantLimitsInput = {
  /** Cost units the tenant may spend at once: the rate limit's burst (refilled at costPerMinute; capped by it). */
  costBurst?: InputMaybe<Scalars['Float']['input']>;
  /** Gateway cost units per minute for the whole tenant (a cheap operation costs 1). */
  costPerMinute?: InputMaybe<Scalars['Float']['input']>;
  /** Resident memory of one inference process, MiB; over it the process is killed and replaced. */
  inferenceProcessMemoryMb?: InputMaybe<Scalars['Int']['input']>;
  /** Inference processes in the tenant's pool, per models replica (the host's bound caps it). */
  inferenceProcesses?: InputMaybe<Scalars['Int']['input']>;
  /** onnxruntime intra-op threads per inference process (the host's bound caps it). */
  inferenceThreads?: InputMaybe<Scalars['Int']['input']>;
  /** Age in days after which the tenant's data key is rotated by itself (new objects use the new key). */
  keyRotationDays?: InputMaybe<Scalars['Int']['input']>;
  /** Unrevoked API keys of one service account (expired ones count until revoked). */
  maxApiKeysPerServiceAccount?: InputMaybe<Scalars['Int']['input']>;
  /** Jobs running at the same time. */
  maxConcurrentJobs?: InputMaybe<Scalars['Int']['input']>;
  /** Queries and mutations running at once per gateway replica; more wait in the tenant's own queue (RATE_LIMITED when it is full). */
  maxConcurrentOperations?: InputMaybe<Scalars['Int']['input']>;
  /** Dataset versions over all datasets. */
  maxDatasetVersions?: InputMaybe<Scalars['Int']['input']>;
  /** Datasets the tenant keeps. */
  maxDatasets?: InputMaybe<Scalars['Int']['input']>;
  /**
   * Seconds one run of a job may take (a whole number, at most 604800: seven days); past it the job
   * fails JOB_TIME_LIMIT. Float, so that a fraction reaches the limit's own check and is refused
   * naming this field, like every other bad value.
   */
  maxJobRunSeconds?: InputMaybe<Scalars['Float']['input']>;
  /** Members, counting e-mail invitations pending or expired. */
  maxMembers?: InputMaybe<Scalars['Int']['input']>;
  /** Model versions over all models. */
  maxModelVersions?: InputMaybe<Scalars['Int']['input']>;
  /** Models the tenant keeps. */
  maxModels?: InputMaybe<Scalars['Int']['input']>;
  /** Subscriptions open at once, across every gateway replica. */
  maxOpenSubscriptions?: InputMaybe<Scalars['Int']['input']>;
  /** Aliased fields in one operation (counted once per place a fragment is spread). */
  maxOperationAliases?: InputMaybe<Scalars['Int']['input']>;
  /** Cost of one operation: field weights times list sizes (see the README's limits table). */
  maxOperationCost?: InputMaybe<Scalars['Float']['input']>;
  /** Field nesting of one operation (introspection included). */
  maxOperationDepth?: InputMaybe<Scalars['Int']['input']>;
  /** Directives in one operation. */
  maxOperationDirectives?: InputMaybe<Scalars['Int']['input']>;
  /** Root fields of one operation. */
  maxOperationRootFields?: InputMaybe<Scalars['Int']['input']>;
  /** Lexical tokens in one document. */
  maxOperationTokens?: InputMaybe<Scalars['Int']['input']>;
  /** Predictions accepted and not yet answered (queued + running) at the same time. */
  maxPredictionsInFlight?: InputMaybe<Scalars['Int']['input']>;
  /** Unfinished (queued + running) jobs. */
  maxQueuedJobs?: InputMaybe<Scalars['Int']['input']>;
  /** Predictions waiting for a free inference process of the tenant's pool. */
  maxQueuedPredictions?: InputMaybe<Scalars['Int']['input']>;
  /** Service accounts. */
  maxServiceAccounts?: InputMaybe<Scalars['Int']['input']>;
  /** Everything the tenant keeps in its bucket, bytes. */
  maxStorageBytes?: InputMaybe<Scalars['Float']['input']>;
  /** Largest single upload (dataset CSV, model file), bytes. */
  maxUploadBytes?: InputMaybe<Scalars['Float']['input']>;
  /** Predictions started per minute, across all models-service replicas. */
  predictionsPerMinute?: InputMaybe<Scalars['Int']['input']>;
};

export type TenantStatus =
  | 'ACTIVE'
  | 'PROVISIONING'
  | 'SUSPENDED';

export type TenantTier =
  | 'DEDICATED'
  | 'SHARED';

export type TenantUsage = {
  __typename?: 'TenantUsage';
  auditEvents: Scalars['Int']['output'];
  datasetVersions: Scalars['Int']['output'];
  datasets: Scalars['Int']['output'];
  jobs: Scalars['Int']['output'];
  models: Scalars['Int']['output'];
  /**
   * Every quota of your tenant beside its limit: first the stored quotas (what writes are checked
   * against), then the live quotas (what running work is checked against), each read from the very
   * counter that enforces it.
   */
  quotas: Array<QuotaUsage>;
  /** Bytes your tenant's dataset versions occupy in storage (encrypted size). */
  storedBytes: Scalars['Float']['output'];
};

export type TenantUsageTotals = {
  __typename?: 'TenantUsageTotals';
  costUnits: Scalars['Float']['output'];
  downloadBytes: Scalars['Float']['output'];
  inferenceMs: Scalars['Float']['output'];
  jobWorkerMs: Scalars['Float']['output'];
  storedByteHours: Scalars['Float']['output'];
  tenant: Tenant;
};

export type TensorInput = {
  /** Values in row-major order, flattened; length = product of shape. Exactly one of data and dataBase64. */
  data?: InputMaybe<Array<Scalars['Float']['input']>>;
  /**
   * The same values as standard padded base64 of their raw little-endian bytes (float32/int32: 4 bytes
   * each, float64/int64: 8, bool: 1 byte 0 or 1), for the model input's element type. Checked as
   * strictly as data: byte length = product of shape × element size, finite floats, 0/1 bools.
   */
  dataBase64?: InputMaybe<Scalars['String']['input']>;
  /** Optional check: float32, float64, int32, int64 or bool (0/1); must match the model's input. */
  elementType?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  shape: Array<Scalars['Int']['input']>;
};

export type TensorOutput = {
  __typename?: 'TensorOutput';
  /** Row-major values; null where the model produced NaN or ±Infinity. */
  data: Array<Maybe<Scalars['Float']['output']>>;
  /** The same values, exact, as base64 of their raw little-endian bytes (e.g. 4 per float32, 8 per int64, 1 per bool). Select this instead of data to skip the number list. */
  dataBase64: Scalars['String']['output'];
  elementType: Scalars['String']['output'];
  name: Scalars['String']['output'];
  shape: Array<Scalars['Int']['output']>;
};

export type TensorSignature = {
  __typename?: 'TensorSignature';
  /** float32, float64, int32, int64, bool, … */
  elementType: Scalars['String']['output'];
  name: Scalars['String']['output'];
  shape: Array<Dim>;
  /** False when the model declares no shape (any rank accepted); shape is then empty. */
  shapeKnown: Scalars['Boolean']['output'];
};

export type TrainingMetrics = {
  __typename?: 'TrainingMetrics';
  /** Queued or running. */
  active: Scalars['Int']['output'];
  cancelled: Scalars['Int']['output'];
  durationP50Ms?: Maybe<Scalars['Float']['output']>;
  durationP95Ms?: Maybe<Scalars['Float']['output']>;
  failed: Scalars['Int']['output'];
  from: Scalars['DateTime']['output'];
  jobs: Scalars['Int']['output'];
  /** Run time (start to finish) of the succeeded jobs. */
  meanDurationMs?: Maybe<Scalars['Float']['output']>;
  succeeded: Scalars['Int']['output'];
  /** succeeded / (succeeded + failed); null when none finished. */
  successRate?: Maybe<Scalars['Float']['output']>;
  to: Scalars['DateTime']['output'];
};

export type UploadStatus =
  | 'COMPLETED'
  | 'FAILED'
  | 'PENDING'
  | 'RECEIVING'
  | 'UPLOADED';

/** Every meter over one period. */
export type UsageAmounts = {
  __typename?: 'UsageAmounts';
  costUnits: Scalars['Float']['output'];
  downloadBytes: Scalars['Float']['output'];
  inferenceMs: Scalars['Float']['output'];
  jobWorkerMs: Scalars['Float']['output'];
  storedByteHours: Scalars['Float']['output'];
};

export type UsageBudget = {
  __typename?: 'UsageBudget';
  /** True once new work of this meter is refused (QUOTA_EXCEEDED) for the rest of the month. */
  limitReached: Scalars['Boolean']['output'];
  meter: UsageMeter;
  monthlyLimit: Scalars['Float']['output'];
  /** Percent of the limit at which the alert is raised. */
  softPercent: Scalars['Int']['output'];
  softThresholdReached: Scalars['Boolean']['output'];
  updatedAt: Scalars['DateTime']['output'];
  updatedBy: Scalars['String']['output'];
  /** This calendar month's usage (UTC), as written so far. */
  usedThisMonth: Scalars['Float']['output'];
};

export type UsageBudgetInput = {
  meter: UsageMeter;
  /** In the meter's unit; from 0.000001 to 1e15. */
  monthlyLimit: Scalars['Float']['input'];
  /** 1 to 100 (default 80). */
  softPercent?: InputMaybe<Scalars['Int']['input']>;
};

export type UsageGranularity =
  | 'DAY'
  | 'HOUR'
  | 'MONTH';

export type UsageMeter =
  /** Gateway cost units of admitted operations, uploads, downloads and subscriptions. */
  | 'COST_UNITS'
  /** Bytes served by downloads. */
  | 'DOWNLOAD_BYTES'
  /** Milliseconds inside the inference runtime for your predictions (a merged batch split by rows). */
  | 'INFERENCE_MS'
  /** Milliseconds job workers spent running your jobs. */
  | 'JOB_WORKER_MS'
  /** Stored bytes integrated over time, in byte-hours (sampled about once a minute). */
  | 'STORED_BYTE_HOURS';

export type UsageOrder =
  | 'ASC'
  | 'DESC';

export type UsagePoint = {
  __typename?: 'UsagePoint';
  costUnits: Scalars['Float']['output'];
  downloadBytes: Scalars['Float']['output'];
  end: Scalars['DateTime']['output'];
  inferenceMs: Scalars['Float']['output'];
  jobWorkerMs: Scalars['Float']['output'];
  start: Scalars['DateTime']['output'];
  storedByteHours: Scalars['Float']['output'];
};

export type UsageReport = {
  __typename?: 'UsageReport';
  from: Scalars['DateTime']['output'];
  granularity: UsageGranularity;
  points: Array<UsagePoint>;
  to: Scalars['DateTime']['output'];
  total: UsageAmounts;
};

export type UserActivity = {
  __typename?: 'UserActivity';
  eventCount: Scalars['Int']['output'];
  lastAction: Scalars['String']['output'];
  lastActivityAt: Scalars['DateTime']['output'];
  subject: Scalars['String']['output'];
};

export type ValueCount = {
  __typename?: 'ValueCount';
  count: Scalars['Int']['output'];
  /** The value is longer than 128 characters (counted whole, shown cut). */
  truncated: Scalars['Boolean']['output'];
  /** The value, or its first 128 characters when `truncated`. */
  value: Scalars['String']['output'];
};

/**
 * One alert's webhook delivery. What is reported is the platform's own outcome of each attempt,
 * never the receiver's answer (status code, headers, body) nor a connection's error text.
 */
export type WebhookDelivery = {
  __typename?: 'WebhookDelivery';
  attempts: Scalars['Int']['output'];
  deliveredAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  /** A fixed description of lastOutcome when it is a failure; never text from the receiver. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** How the last attempt ended; null before the first attempt. */
  lastOutcome?: Maybe<WebhookDeliveryOutcome>;
  /** @deprecated The receiver's status code is not reported; always null. Use lastOutcome. */
  lastStatus?: Maybe<Scalars['Int']['output']>;
  status: WebhookDeliveryStatus;
};

export type WebhookDeliveryOutcome =
  /** The host name did not resolve, or the connection or TLS handshake failed. */
  | 'CONNECTION_FAILED'
  /** The receiver answered 2xx. */
  | 'DELIVERED'
  /** The receiver answered with a status outside 2xx and 3xx. */
  | 'HTTP_ERROR'
  /** The receiver answered 3xx; redirects are not followed. */
  | 'REDIRECT_NOT_FOLLOWED'
  /** Not sent: the host is, or resolved at connection time to, a loopback, private, link-local or metadata address the platform does not allow. */
  | 'REFUSED_ADDRESS'
  /** No answer within the delivery timeout. */
  | 'TIMEOUT'
  /** Not sent: the webhook was removed before this attempt. */
  | 'WEBHOOK_REMOVED';

export type WebhookDeliveryStatus =
  | 'DELIVERED'
  | 'FAILED'
  | 'PENDING';

export type ConsoleMeQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleMeQuery = { __typename?: 'Query', me: { __typename?: 'CurrentPrincipal', subject: string, tenantId?: string | null, roles: Array<PrincipalRole> } };

export type ConsoleAuditEventsQueryVariables = Exact<{
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<AuditEventFilter>;
}>;


export type ConsoleAuditEventsQuery = { __typename?: 'Query', auditEvents: { __typename?: 'AuditEventConnection', edges: Array<{ __typename?: 'AuditEventEdge', cursor: string, node: { __typename?: 'AuditEvent', id: string, sequence: number, occurredAt: string, action: string, outcome: AuditOutcome, actorSubject: string, actorRoles: Array<string>, targetType: string, targetId?: string | null, requestId?: string | null, recordedBy?: string | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type ConsoleVerifyAuditChainQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleVerifyAuditChainQuery = { __typename?: 'Query', verifyAuditChain: { __typename?: 'AuditChainVerification', valid: boolean, checkedEvents: number, headSequence: number, firstBadSequence?: number | null, reason?: AuditChainFailure | null, checkpointsChecked: number } };

export type ConsoleAuditCheckpointsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAuditCheckpointsQuery = { __typename?: 'Query', auditCheckpoints: Array<{ __typename?: 'AuditCheckpoint', sequence: number, headHash: string, keyId: string, signedAt: string, objectKey?: string | null }> };

export type ConsoleCreateAuditCheckpointMutationVariables = Exact<{ [key: string]: never; }>;


export type ConsoleCreateAuditCheckpointMutation = { __typename?: 'Mutation', createAuditCheckpoint?: { __typename?: 'AuditCheckpoint', sequence: number, signedAt: string } | null };

export type ConsoleExportAuditEventsMutationVariables = Exact<{
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
}>;


export type ConsoleExportAuditEventsMutation = { __typename?: 'Mutation', exportAuditEvents: { __typename?: 'AuditExport', eventCount: number, objectKey: string, proofObjectKey: string, sha256: string, firstSequence?: number | null, lastSequence?: number | null } };

export type ConsoleAlertsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAlertsQuery = { __typename?: 'Query', alerts: Array<{ __typename?: 'Alert', id: string, rule: AlertRuleKind, status: AlertStatus, summary: string, observed: number, threshold: number, createdAt: string, acknowledgedAt?: string | null, acknowledgedBy?: string | null }> };

export type ConsoleAlertsLiveSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAlertsLiveSubscription = { __typename?: 'Subscription', alerts: { __typename?: 'Alert', id: string, rule: AlertRuleKind, status: AlertStatus, summary: string, observed: number, threshold: number, createdAt: string } };

export type ConsoleAcknowledgeAlertMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleAcknowledgeAlertMutation = { __typename?: 'Mutation', acknowledgeAlert: { __typename?: 'Alert', id: string, status: AlertStatus, acknowledgedAt?: string | null, acknowledgedBy?: string | null } };

export type ConsoleAlertWebhookQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAlertWebhookQuery = { __typename?: 'Query', alertWebhook?: { __typename?: 'AlertWebhook', url: string, createdAt: string } | null };

export type ConsoleSetAlertWebhookMutationVariables = Exact<{
  url: Scalars['String']['input'];
}>;


export type ConsoleSetAlertWebhookMutation = { __typename?: 'Mutation', setAlertWebhook: { __typename?: 'AlertWebhookSecret', url: string, secret: string, createdAt: string } };

export type ConsoleRemoveAlertWebhookMutationVariables = Exact<{ [key: string]: never; }>;


export type ConsoleRemoveAlertWebhookMutation = { __typename?: 'Mutation', removeAlertWebhook: boolean };

export type ConsoleDatasetsQueryVariables = Exact<{
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ConsoleDatasetsQuery = { __typename?: 'Query', datasets: { __typename?: 'DatasetConnection', edges: Array<{ __typename?: 'DatasetEdge', cursor: string, node: { __typename?: 'Dataset', id: string, name: string, description?: string | null, versionCount: number, createdAt: string, latestVersion?: { __typename?: 'DatasetVersion', id: string, number: number, rowCount: number, byteSize: number } | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type ConsoleDatasetQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleDatasetQuery = { __typename?: 'Query', dataset: { __typename?: 'Dataset', id: string, name: string, description?: string | null, createdAt: string, createdBy: string, versionCount: number, versions: { __typename?: 'DatasetVersionConnection', edges: Array<{ __typename?: 'DatasetVersionEdge', node: { __typename?: 'DatasetVersion', id: string, number: number, rowCount: number, byteSize: number, sha256: string, createdAt: string, createdBy: string, columns: Array<{ __typename?: 'DatasetColumn', name: string, type: ColumnType, nullable: boolean, nullCount: number }> } }> } } };

export type ConsoleDatasetVersionQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleDatasetVersionQuery = { __typename?: 'Query', datasetVersion: { __typename?: 'DatasetVersion', id: string, number: number, rowCount: number, byteSize: number, sha256: string, createdAt: string, createdBy: string, columns: Array<{ __typename?: 'DatasetColumn', name: string, type: ColumnType, nullable: boolean, nullCount: number }>, dataset: { __typename?: 'Dataset', id: string } } };

export type ConsoleDatasetPreviewQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleDatasetPreviewQuery = { __typename?: 'Query', datasetVersion: { __typename?: 'DatasetVersion', id: string, preview: { __typename?: 'DatasetPreview', columns: Array<string>, rows: Array<Array<string>> } } };

export type ConsoleProfileJobsQueryVariables = Exact<{
  datasetVersionId: Scalars['ID']['input'];
}>;


export type ConsoleProfileJobsQuery = { __typename?: 'Query', latest: { __typename?: 'JobConnection', edges: Array<{ __typename?: 'JobEdge', node: { __typename?: 'Job', id: string, status: JobStatus } }> }, profiled: { __typename?: 'JobConnection', edges: Array<{ __typename?: 'JobEdge', node: { __typename?: 'Job', id: string, createdAt: string, result?: { __typename?: 'JobResult', profile?: { __typename?: 'DatasetProfile', rowCount: number, columns: Array<{ __typename?: 'ColumnStatistics', name: string, type: string, count: number, nullCount: number, min?: number | null, max?: number | null, mean?: number | null, stddev?: number | null, distinctEstimate?: number | null }> } | null } | null } }> } };

export type ConsoleCreateDatasetMutationVariables = Exact<{
  input: CreateDatasetInput;
}>;


export type ConsoleCreateDatasetMutation = { __typename?: 'Mutation', createDataset: { __typename?: 'Dataset', id: string, name: string } };

export type ConsoleCreateDatasetUploadMutationVariables = Exact<{
  input: CreateDatasetUploadInput;
}>;


export type ConsoleCreateDatasetUploadMutation = { __typename?: 'Mutation', createDatasetUpload: { __typename?: 'DatasetUpload', id: string, uploadUrl: string, maxBytes: number } };

export type ConsoleCompleteDatasetUploadMutationVariables = Exact<{
  uploadId: Scalars['ID']['input'];
}>;


export type ConsoleCompleteDatasetUploadMutation = { __typename?: 'Mutation', completeDatasetUpload: { __typename?: 'DatasetVersion', id: string, number: number, rowCount: number } };

export type ConsoleDeleteDatasetMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleDeleteDatasetMutation = { __typename?: 'Mutation', deleteDataset: { __typename?: 'DeleteDatasetPayload', id: string, deletedVersions: number } };

export type ConsoleSubmitProfileMutationVariables = Exact<{
  input: SubmitProfileJobInput;
}>;


export type ConsoleSubmitProfileMutation = { __typename?: 'Mutation', submitProfileJob: { __typename?: 'Job', id: string, status: JobStatus } };

export type ConsoleJobsQueryVariables = Exact<{
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<JobFilter>;
}>;


export type ConsoleJobsQuery = { __typename?: 'Query', jobs: { __typename?: 'JobConnection', edges: Array<{ __typename?: 'JobEdge', cursor: string, node: { __typename?: 'Job', id: string, kind: JobKind, status: JobStatus, progress: number, phase?: string | null, createdAt: string, createdBy: string, attempts: number } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type ConsoleJobQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleJobQuery = { __typename?: 'Query', job: { __typename?: 'Job', id: string, kind: JobKind, status: JobStatus, progress: number, phase?: string | null, attempts: number, cancelRequested: boolean, createdAt: string, createdBy: string, startedAt?: string | null, finishedAt?: string | null, lossHistory: Array<number>, input: { __typename?: 'JobInput', datasetVersionId: string }, error?: { __typename?: 'JobError', code: string, message: string } | null, result?: { __typename?: 'JobResult', modelId?: string | null, modelVersionId?: string | null, modelVersionNumber?: number | null, finalLoss?: number | null, trainingRows?: number | null, predictedRows?: number | null, skippedRows?: number | null, datasetId?: string | null, datasetVersionId?: string | null } | null } };

export type ConsoleJobProgressSubscriptionVariables = Exact<{
  jobId: Scalars['ID']['input'];
}>;


export type ConsoleJobProgressSubscription = { __typename?: 'Subscription', jobProgress: { __typename?: 'JobEvent', jobId: string, status: JobStatus, progress: number, phase?: string | null, occurredAt: string, metrics?: Array<{ __typename?: 'JobMetric', name: string, value: number }> | null, error?: { __typename?: 'JobEventError', code: string, message: string } | null } };

export type ConsoleSubmitTrainingMutationVariables = Exact<{
  input: SubmitTrainingJobInput;
}>;


export type ConsoleSubmitTrainingMutation = { __typename?: 'Mutation', submitTrainingJob: { __typename?: 'Job', id: string } };

export type ConsoleSubmitBatchInferenceMutationVariables = Exact<{
  input: SubmitBatchInferenceJobInput;
}>;


export type ConsoleSubmitBatchInferenceMutation = { __typename?: 'Mutation', submitBatchInferenceJob: { __typename?: 'Job', id: string } };

export type ConsoleSubmitProfileJobMutationVariables = Exact<{
  input: SubmitProfileJobInput;
}>;


export type ConsoleSubmitProfileJobMutation = { __typename?: 'Mutation', submitProfileJob: { __typename?: 'Job', id: string } };

export type ConsoleCancelJobMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleCancelJobMutation = { __typename?: 'Mutation', cancelJob: { __typename?: 'Job', id: string, status: JobStatus, cancelRequested: boolean } };

export type ConsoleRetryJobMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleRetryJobMutation = { __typename?: 'Mutation', retryJob: { __typename?: 'Job', id: string, status: JobStatus } };

export type ConsoleMetricsQueryVariables = Exact<{
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
  granularity: MetricGranularity;
}>;


export type ConsoleMetricsQuery = { __typename?: 'Query', requestMetrics: { __typename?: 'RequestMetrics', points: Array<{ __typename?: 'RequestMetricsPoint', start: string, requests: number, errors: number, errorRate: number, latencyP50Ms?: number | null, latencyP95Ms?: number | null }>, total: { __typename?: 'RequestMetricsPoint', requests: number, errors: number, errorRate: number, latencyP95Ms?: number | null } }, anomalies: Array<{ __typename?: 'Anomaly', id: string, metric: AnomalyMetric, windowStart: string, observed: number, expected: number, summary: string }>, trainingMetrics: { __typename?: 'TrainingMetrics', jobs: number, succeeded: number, failed: number, cancelled: number, active: number, successRate?: number | null, meanDurationMs?: number | null, durationP95Ms?: number | null }, tenantUsage: { __typename?: 'TenantUsage', datasets: number, datasetVersions: number, models: number, jobs: number, storedBytes: number, quotas: Array<{ __typename?: 'QuotaUsage', name: string, used: number, reserved: number, limit: number, windowSeconds?: number | null }> } };

export type ConsoleMetricsModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleMetricsModelsQuery = { __typename?: 'Query', models: { __typename?: 'ModelConnection', edges: Array<{ __typename?: 'ModelEdge', node: { __typename?: 'Model', id: string, name: string } }> } };

export type ConsoleInferenceStatsQueryVariables = Exact<{
  modelId: Scalars['ID']['input'];
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
  granularity: MetricGranularity;
}>;


export type ConsoleInferenceStatsQuery = { __typename?: 'Query', inferenceStats: { __typename?: 'InferenceStats', calls: number, errors: number, rows: number, meanLatencyMs: number, maxLatencyMs: number, meanBatchSize: number, minutes: Array<{ __typename?: 'InferenceMinute', minute: string, calls: number, errors: number, meanLatencyMs: number, versionNumber?: number | null }> } };

export type ConsoleModelsQueryVariables = Exact<{
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ConsoleModelsQuery = { __typename?: 'Query', models: { __typename?: 'ModelConnection', edges: Array<{ __typename?: 'ModelEdge', cursor: string, node: { __typename?: 'Model', id: string, name: string, description?: string | null, versionCount: number, createdAt: string, aliases: Array<{ __typename?: 'ModelAlias', alias: string, version: { __typename?: 'ModelVersion', number: number } }>, latestVersion?: { __typename?: 'ModelVersion', id: string, number: number } | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type ConsoleModelQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleModelQuery = { __typename?: 'Query', model: { __typename?: 'Model', id: string, name: string, description?: string | null, createdAt: string, createdBy: string, serving: { __typename?: 'ModelServing', batching: boolean, maxBatchSize: number, maxDelayMs: number, timeoutMs: number }, aliases: Array<{ __typename?: 'ModelAlias', alias: string, updatedAt: string, updatedBy: string, version: { __typename?: 'ModelVersion', id: string, number: number } }>, versions: { __typename?: 'ModelVersionConnection', edges: Array<{ __typename?: 'ModelVersionEdge', node: { __typename?: 'ModelVersion', id: string, number: number, byteSize: number, sha256: string, createdAt: string, createdBy: string, aliases: Array<string>, lineage: { __typename?: 'ModelLineage', datasetVersionId?: string | null, jobId?: string | null } } }> } } };

export type ConsoleModelVersionQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleModelVersionQuery = { __typename?: 'Query', modelVersion: { __typename?: 'ModelVersion', id: string, number: number, irVersion: number, producer?: string | null, model: { __typename?: 'Model', id: string }, opsets: Array<{ __typename?: 'Opset', domain: string, version: number }>, inputs: Array<{ __typename?: 'TensorSignature', name: string, elementType: string, shapeKnown: boolean, shape: Array<{ __typename?: 'Dim', size?: number | null, symbol?: string | null }> }>, outputs: Array<{ __typename?: 'TensorSignature', name: string, elementType: string, shapeKnown: boolean, shape: Array<{ __typename?: 'Dim', size?: number | null, symbol?: string | null }> }> } };

export type ConsoleLineageDatasetQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleLineageDatasetQuery = { __typename?: 'Query', datasetVersion: { __typename?: 'DatasetVersion', id: string, number: number, dataset: { __typename?: 'Dataset', id: string, name: string } } };

export type ConsoleCreateModelMutationVariables = Exact<{
  input: CreateModelInput;
}>;


export type ConsoleCreateModelMutation = { __typename?: 'Mutation', createModel: { __typename?: 'Model', id: string, name: string } };

export type ConsoleCreateModelUploadMutationVariables = Exact<{
  input: CreateModelUploadInput;
}>;


export type ConsoleCreateModelUploadMutation = { __typename?: 'Mutation', createModelUpload: { __typename?: 'ModelUpload', id: string, uploadUrl: string } };

export type ConsoleCompleteModelUploadMutationVariables = Exact<{
  uploadId: Scalars['ID']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
}>;


export type ConsoleCompleteModelUploadMutation = { __typename?: 'Mutation', completeModelUpload: { __typename?: 'ModelVersion', id: string, number: number } };

export type ConsoleSetModelAliasMutationVariables = Exact<{
  input: SetModelAliasInput;
}>;


export type ConsoleSetModelAliasMutation = { __typename?: 'Mutation', setModelAlias: { __typename?: 'ModelAlias', alias: string, version: { __typename?: 'ModelVersion', id: string, number: number } } };

export type ConsoleRemoveModelAliasMutationVariables = Exact<{
  modelId: Scalars['ID']['input'];
  alias: Scalars['String']['input'];
}>;


export type ConsoleRemoveModelAliasMutation = { __typename?: 'Mutation', removeModelAlias: { __typename?: 'RemoveModelAliasPayload', alias: string, versionNumber: number } };

export type ConsoleUpdateModelServingMutationVariables = Exact<{
  modelId: Scalars['ID']['input'];
  input: ModelServingInput;
}>;


export type ConsoleUpdateModelServingMutation = { __typename?: 'Mutation', updateModelServing: { __typename?: 'Model', id: string, serving: { __typename?: 'ModelServing', batching: boolean, maxBatchSize: number, maxDelayMs: number, timeoutMs: number } } };

export type ConsolePredictQueryVariables = Exact<{
  input: PredictInput;
}>;


export type ConsolePredictQuery = { __typename?: 'Query', predict: { __typename?: 'Prediction', batchSize: number, latencyMs: number, modelVersion: { __typename?: 'ModelVersion', number: number }, outputs: Array<{ __typename?: 'TensorOutput', name: string, elementType: string, shape: Array<number>, data: Array<number | null> }> } };

export type ConsoleTenantLimitsFragment = { __typename?: 'TenantLimits', maxUploadBytes: number, maxStorageBytes: number, costPerMinute: number, costBurst: number, maxConcurrentOperations: number, maxConcurrentJobs: number, maxQueuedJobs: number, maxJobRunSeconds: number, maxOperationDepth: number, maxOperationAliases: number, maxOperationRootFields: number, maxOperationDirectives: number, maxOperationTokens: number, maxOperationCost: number, maxOpenSubscriptions: number, predictionsPerMinute: number, maxPredictionsInFlight: number, maxQueuedPredictions: number, inferenceProcesses: number, inferenceThreads: number, inferenceProcessMemoryMb: number, maxDatasets: number, maxDatasetVersions: number, maxModels: number, maxModelVersions: number, maxMembers: number, maxServiceAccounts: number, maxApiKeysPerServiceAccount: number, keyRotationDays: number };

export type ConsoleTenantsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleTenantsQuery = { __typename?: 'Query', tenants: Array<{ __typename?: 'Tenant', id: string, displayName: string, region: string, tier: TenantTier, status: TenantStatus, createdAt: string, overriddenLimits: Array<string>, limits: { __typename?: 'TenantLimits', maxUploadBytes: number, maxStorageBytes: number, costPerMinute: number, costBurst: number, maxConcurrentOperations: number, maxConcurrentJobs: number, maxQueuedJobs: number, maxJobRunSeconds: number, maxOperationDepth: number, maxOperationAliases: number, maxOperationRootFields: number, maxOperationDirectives: number, maxOperationTokens: number, maxOperationCost: number, maxOpenSubscriptions: number, predictionsPerMinute: number, maxPredictionsInFlight: number, maxQueuedPredictions: number, inferenceProcesses: number, inferenceThreads: number, inferenceProcessMemoryMb: number, maxDatasets: number, maxDatasetVersions: number, maxModels: number, maxModelVersions: number, maxMembers: number, maxServiceAccounts: number, maxApiKeysPerServiceAccount: number, keyRotationDays: number } }> };

export type ConsoleProvisionTenantMutationVariables = Exact<{
  input: ProvisionTenantInput;
}>;


export type ConsoleProvisionTenantMutation = { __typename?: 'Mutation', provisionTenant: { __typename?: 'ProvisionTenantPayload', created: boolean, tenant: { __typename?: 'Tenant', id: string, status: TenantStatus } } };

export type ConsoleSuspendTenantMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleSuspendTenantMutation = { __typename?: 'Mutation', suspendTenant: { __typename?: 'Tenant', id: string, status: TenantStatus } };

export type ConsoleResumeTenantMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ConsoleResumeTenantMutation = { __typename?: 'Mutation', resumeTenant: { __typename?: 'Tenant', id: string, status: TenantStatus } };

export type ConsoleSetTenantLimitsMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  limits: TenantLimitsInput;
}>;


export type ConsoleSetTenantLimitsMutation = { __typename?: 'Mutation', setTenantLimits: { __typename?: 'Tenant', id: string, overriddenLimits: Array<string>, limits: { __typename?: 'TenantLimits', maxUploadBytes: number, maxStorageBytes: number, costPerMinute: number, costBurst: number, maxConcurrentOperations: number, maxConcurrentJobs: number, maxQueuedJobs: number, maxJobRunSeconds: number, maxOperationDepth: number, maxOperationAliases: number, maxOperationRootFields: number, maxOperationDirectives: number, maxOperationTokens: number, maxOperationCost: number, maxOpenSubscriptions: number, predictionsPerMinute: number, maxPredictionsInFlight: number, maxQueuedPredictions: number, inferenceProcesses: number, inferenceThreads: number, inferenceProcessMemoryMb: number, maxDatasets: number, maxDatasetVersions: number, maxModels: number, maxModelVersions: number, maxMembers: number, maxServiceAccounts: number, maxApiKeysPerServiceAccount: number, keyRotationDays: number } } };

export type ConsoleTenantAccessUsageQueryVariables = Exact<{
  tenantId: Scalars['ID']['input'];
}>;


export type ConsoleTenantAccessUsageQuery = { __typename?: 'Query', members: Array<{ __typename?: 'Member', id: string }>, serviceAccounts: Array<{ __typename?: 'ServiceAccount', id: string, apiKeys: Array<{ __typename?: 'ApiKey', id: string, status: ApiKeyStatus }> }> };

export const ConsoleTenantLimitsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleTenantLimits"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TenantLimits"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"maxUploadBytes"}},{"kind":"Field","name":{"kind":"Name","value":"maxStorageBytes"}},{"kind":"Field","name":{"kind":"Name","value":"costPerMinute"}},{"kind":"Field","name":{"kind":"Name","value":"costBurst"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrentOperations"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrentJobs"}},{"kind":"Field","name":{"kind":"Name","value":"maxQueuedJobs"}},{"kind":"Field","name":{"kind":"Name","value":"maxJobRunSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationDepth"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationAliases"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationRootFields"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationDirectives"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationTokens"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationCost"}},{"kind":"Field","name":{"kind":"Name","value":"maxOpenSubscriptions"}},{"kind":"Field","name":{"kind":"Name","value":"predictionsPerMinute"}},{"kind":"Field","name":{"kind":"Name","value":"maxPredictionsInFlight"}},{"kind":"Field","name":{"kind":"Name","value":"maxQueuedPredictions"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceProcesses"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceThreads"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceProcessMemoryMb"}},{"kind":"Field","name":{"kind":"Name","value":"maxDatasets"}},{"kind":"Field","name":{"kind":"Name","value":"maxDatasetVersions"}},{"kind":"Field","name":{"kind":"Name","value":"maxModels"}},{"kind":"Field","name":{"kind":"Name","value":"maxModelVersions"}},{"kind":"Field","name":{"kind":"Name","value":"maxMembers"}},{"kind":"Field","name":{"kind":"Name","value":"maxServiceAccounts"}},{"kind":"Field","name":{"kind":"Name","value":"maxApiKeysPerServiceAccount"}},{"kind":"Field","name":{"kind":"Name","value":"keyRotationDays"}}]}}]} as unknown as DocumentNode<ConsoleTenantLimitsFragment, unknown>;
export const ConsoleMeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleMe"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"tenantId"}},{"kind":"Field","name":{"kind":"Name","value":"roles"}}]}}]}}]} as unknown as DocumentNode<ConsoleMeQuery, ConsoleMeQueryVariables>;
export const ConsoleAuditEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleAuditEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEventFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"actorSubject"}},{"kind":"Field","name":{"kind":"Name","value":"actorRoles"}},{"kind":"Field","name":{"kind":"Name","value":"targetType"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"recordedBy"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleAuditEventsQuery, ConsoleAuditEventsQueryVariables>;
export const ConsoleVerifyAuditChainDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleVerifyAuditChain"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"verifyAuditChain"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"valid"}},{"kind":"Field","name":{"kind":"Name","value":"checkedEvents"}},{"kind":"Field","name":{"kind":"Name","value":"headSequence"}},{"kind":"Field","name":{"kind":"Name","value":"firstBadSequence"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"checkpointsChecked"}}]}}]}}]} as unknown as DocumentNode<ConsoleVerifyAuditChainQuery, ConsoleVerifyAuditChainQueryVariables>;
export const ConsoleAuditCheckpointsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleAuditCheckpoints"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditCheckpoints"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"headHash"}},{"kind":"Field","name":{"kind":"Name","value":"keyId"}},{"kind":"Field","name":{"kind":"Name","value":"signedAt"}},{"kind":"Field","name":{"kind":"Name","value":"objectKey"}}]}}]}}]} as unknown as DocumentNode<ConsoleAuditCheckpointsQuery, ConsoleAuditCheckpointsQueryVariables>;
export const ConsoleCreateAuditCheckpointDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateAuditCheckpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createAuditCheckpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"signedAt"}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateAuditCheckpointMutation, ConsoleCreateAuditCheckpointMutationVariables>;
export const ConsoleExportAuditEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleExportAuditEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"exportAuditEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"eventCount"}},{"kind":"Field","name":{"kind":"Name","value":"objectKey"}},{"kind":"Field","name":{"kind":"Name","value":"proofObjectKey"}},{"kind":"Field","name":{"kind":"Name","value":"sha256"}},{"kind":"Field","name":{"kind":"Name","value":"firstSequence"}},{"kind":"Field","name":{"kind":"Name","value":"lastSequence"}}]}}]}}]} as unknown as DocumentNode<ConsoleExportAuditEventsMutation, ConsoleExportAuditEventsMutationVariables>;
export const ConsoleAlertsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleAlerts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"summary"}},{"kind":"Field","name":{"kind":"Name","value":"observed"}},{"kind":"Field","name":{"kind":"Name","value":"threshold"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledgedAt"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledgedBy"}}]}}]}}]} as unknown as DocumentNode<ConsoleAlertsQuery, ConsoleAlertsQueryVariables>;
export const ConsoleAlertsLiveDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ConsoleAlertsLive"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alerts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"rule"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"summary"}},{"kind":"Field","name":{"kind":"Name","value":"observed"}},{"kind":"Field","name":{"kind":"Name","value":"threshold"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]} as unknown as DocumentNode<ConsoleAlertsLiveSubscription, ConsoleAlertsLiveSubscriptionVariables>;
export const ConsoleAcknowledgeAlertDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleAcknowledgeAlert"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acknowledgeAlert"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledgedAt"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledgedBy"}}]}}]}}]} as unknown as DocumentNode<ConsoleAcknowledgeAlertMutation, ConsoleAcknowledgeAlertMutationVariables>;
export const ConsoleAlertWebhookDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleAlertWebhook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alertWebhook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]} as unknown as DocumentNode<ConsoleAlertWebhookQuery, ConsoleAlertWebhookQueryVariables>;
export const ConsoleSetAlertWebhookDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSetAlertWebhook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"url"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setAlertWebhook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"url"},"value":{"kind":"Variable","name":{"kind":"Name","value":"url"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"secret"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]} as unknown as DocumentNode<ConsoleSetAlertWebhookMutation, ConsoleSetAlertWebhookMutationVariables>;
export const ConsoleRemoveAlertWebhookDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRemoveAlertWebhook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeAlertWebhook"}}]}}]} as unknown as DocumentNode<ConsoleRemoveAlertWebhookMutation, ConsoleRemoveAlertWebhookMutationVariables>;
export const ConsoleDatasetsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleDatasets"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasets"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"versionCount"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"latestVersion"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"rowCount"}},{"kind":"Field","name":{"kind":"Name","value":"byteSize"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleDatasetsQuery, ConsoleDatasetsQueryVariables>;
export const ConsoleDatasetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleDataset"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dataset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"versionCount"}},{"kind":"Field","name":{"kind":"Name","value":"versions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"rowCount"}},{"kind":"Field","name":{"kind":"Name","value":"byteSize"}},{"kind":"Field","name":{"kind":"Name","value":"sha256"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"nullable"}},{"kind":"Field","name":{"kind":"Name","value":"nullCount"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleDatasetQuery, ConsoleDatasetQueryVariables>;
export const ConsoleDatasetVersionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleDatasetVersion"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasetVersion"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"rowCount"}},{"kind":"Field","name":{"kind":"Name","value":"byteSize"}},{"kind":"Field","name":{"kind":"Name","value":"sha256"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"nullable"}},{"kind":"Field","name":{"kind":"Name","value":"nullCount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"dataset"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleDatasetVersionQuery, ConsoleDatasetVersionQueryVariables>;
export const ConsoleDatasetPreviewDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleDatasetPreview"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasetVersion"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"preview"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"columns"}},{"kind":"Field","name":{"kind":"Name","value":"rows"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleDatasetPreviewQuery, ConsoleDatasetPreviewQueryVariables>;
export const ConsoleProfileJobsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleProfileJobs"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"datasetVersionId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","alias":{"kind":"Name","value":"latest"},"name":{"kind":"Name","value":"jobs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}},{"kind":"Argument","name":{"kind":"Name","value":"order"},"value":{"kind":"EnumValue","value":"NEWEST_FIRST"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"kind"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"PROFILE"}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"datasetVersionId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"datasetVersionId"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}},{"kind":"Field","alias":{"kind":"Name","value":"profiled"},"name":{"kind":"Name","value":"jobs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}},{"kind":"Argument","name":{"kind":"Name","value":"order"},"value":{"kind":"EnumValue","value":"NEWEST_FIRST"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"kind"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"PROFILE"}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"status"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"SUCCEEDED"}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"datasetVersionId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"datasetVersionId"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"result"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rowCount"}},{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"nullCount"}},{"kind":"Field","name":{"kind":"Name","value":"min"}},{"kind":"Field","name":{"kind":"Name","value":"max"}},{"kind":"Field","name":{"kind":"Name","value":"mean"}},{"kind":"Field","name":{"kind":"Name","value":"stddev"}},{"kind":"Field","name":{"kind":"Name","value":"distinctEstimate"}}]}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleProfileJobsQuery, ConsoleProfileJobsQueryVariables>;
export const ConsoleCreateDatasetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateDataset"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateDatasetInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createDataset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateDatasetMutation, ConsoleCreateDatasetMutationVariables>;
export const ConsoleCreateDatasetUploadDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateDatasetUpload"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateDatasetUploadInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createDatasetUpload"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"uploadUrl"}},{"kind":"Field","name":{"kind":"Name","value":"maxBytes"}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateDatasetUploadMutation, ConsoleCreateDatasetUploadMutationVariables>;
export const ConsoleCompleteDatasetUploadDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCompleteDatasetUpload"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"uploadId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"completeDatasetUpload"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"uploadId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"uploadId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"rowCount"}}]}}]}}]} as unknown as DocumentNode<ConsoleCompleteDatasetUploadMutation, ConsoleCompleteDatasetUploadMutationVariables>;
export const ConsoleDeleteDatasetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleDeleteDataset"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteDataset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"deletedVersions"}}]}}]}}]} as unknown as DocumentNode<ConsoleDeleteDatasetMutation, ConsoleDeleteDatasetMutationVariables>;
export const ConsoleSubmitProfileDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSubmitProfile"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SubmitProfileJobInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"submitProfileJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<ConsoleSubmitProfileMutation, ConsoleSubmitProfileMutationVariables>;
export const ConsoleJobsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleJobs"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"JobFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleJobsQuery, ConsoleJobsQueryVariables>;
export const ConsoleJobDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"job"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"cancelRequested"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lossHistory"}},{"kind":"Field","name":{"kind":"Name","value":"input"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasetVersionId"}}]}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"result"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"modelId"}},{"kind":"Field","name":{"kind":"Name","value":"modelVersionId"}},{"kind":"Field","name":{"kind":"Name","value":"modelVersionNumber"}},{"kind":"Field","name":{"kind":"Name","value":"finalLoss"}},{"kind":"Field","name":{"kind":"Name","value":"trainingRows"}},{"kind":"Field","name":{"kind":"Name","value":"predictedRows"}},{"kind":"Field","name":{"kind":"Name","value":"skippedRows"}},{"kind":"Field","name":{"kind":"Name","value":"datasetId"}},{"kind":"Field","name":{"kind":"Name","value":"datasetVersionId"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleJobQuery, ConsoleJobQueryVariables>;
export const ConsoleJobProgressDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ConsoleJobProgress"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"jobId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobProgress"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"jobId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"jobId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"metrics"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleJobProgressSubscription, ConsoleJobProgressSubscriptionVariables>;
export const ConsoleSubmitTrainingDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSubmitTraining"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SubmitTrainingJobInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"submitTrainingJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<ConsoleSubmitTrainingMutation, ConsoleSubmitTrainingMutationVariables>;
export const ConsoleSubmitBatchInferenceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSubmitBatchInference"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SubmitBatchInferenceJobInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"submitBatchInferenceJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<ConsoleSubmitBatchInferenceMutation, ConsoleSubmitBatchInferenceMutationVariables>;
export const ConsoleSubmitProfileJobDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSubmitProfileJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SubmitProfileJobInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"submitProfileJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<ConsoleSubmitProfileJobMutation, ConsoleSubmitProfileJobMutationVariables>;
export const ConsoleCancelJobDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCancelJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"cancelRequested"}}]}}]}}]} as unknown as DocumentNode<ConsoleCancelJobMutation, ConsoleCancelJobMutationVariables>;
export const ConsoleRetryJobDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRetryJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retryJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<ConsoleRetryJobMutation, ConsoleRetryJobMutationVariables>;
export const ConsoleMetricsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleMetrics"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"granularity"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"MetricGranularity"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestMetrics"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"granularity"},"value":{"kind":"Variable","name":{"kind":"Name","value":"granularity"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"points"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"errorRate"}},{"kind":"Field","name":{"kind":"Name","value":"latencyP50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"latencyP95Ms"}}]}},{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"errorRate"}},{"kind":"Field","name":{"kind":"Name","value":"latencyP95Ms"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"anomalies"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"metric"}},{"kind":"Field","name":{"kind":"Name","value":"windowStart"}},{"kind":"Field","name":{"kind":"Name","value":"observed"}},{"kind":"Field","name":{"kind":"Name","value":"expected"}},{"kind":"Field","name":{"kind":"Name","value":"summary"}}]}},{"kind":"Field","name":{"kind":"Name","value":"trainingMetrics"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobs"}},{"kind":"Field","name":{"kind":"Name","value":"succeeded"}},{"kind":"Field","name":{"kind":"Name","value":"failed"}},{"kind":"Field","name":{"kind":"Name","value":"cancelled"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"successRate"}},{"kind":"Field","name":{"kind":"Name","value":"meanDurationMs"}},{"kind":"Field","name":{"kind":"Name","value":"durationP95Ms"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenantUsage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasets"}},{"kind":"Field","name":{"kind":"Name","value":"datasetVersions"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"jobs"}},{"kind":"Field","name":{"kind":"Name","value":"storedBytes"}},{"kind":"Field","name":{"kind":"Name","value":"quotas"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"used"}},{"kind":"Field","name":{"kind":"Name","value":"reserved"}},{"kind":"Field","name":{"kind":"Name","value":"limit"}},{"kind":"Field","name":{"kind":"Name","value":"windowSeconds"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleMetricsQuery, ConsoleMetricsQueryVariables>;
export const ConsoleMetricsModelsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleMetricsModels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"models"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleMetricsModelsQuery, ConsoleMetricsModelsQueryVariables>;
export const ConsoleInferenceStatsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleInferenceStats"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"modelId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"granularity"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"MetricGranularity"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"inferenceStats"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"modelId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"modelId"}}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"granularity"},"value":{"kind":"Variable","name":{"kind":"Name","value":"granularity"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"calls"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"rows"}},{"kind":"Field","name":{"kind":"Name","value":"meanLatencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"maxLatencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"meanBatchSize"}},{"kind":"Field","name":{"kind":"Name","value":"minutes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"minute"}},{"kind":"Field","name":{"kind":"Name","value":"calls"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"meanLatencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"versionNumber"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleInferenceStatsQuery, ConsoleInferenceStatsQueryVariables>;
export const ConsoleModelsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleModels"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"models"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"versionCount"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"aliases"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alias"}},{"kind":"Field","name":{"kind":"Name","value":"version"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"number"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"latestVersion"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleModelsQuery, ConsoleModelsQueryVariables>;
export const ConsoleModelDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleModel"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"serving"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"batching"}},{"kind":"Field","name":{"kind":"Name","value":"maxBatchSize"}},{"kind":"Field","name":{"kind":"Name","value":"maxDelayMs"}},{"kind":"Field","name":{"kind":"Name","value":"timeoutMs"}}]}},{"kind":"Field","name":{"kind":"Name","value":"aliases"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alias"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedBy"}},{"kind":"Field","name":{"kind":"Name","value":"version"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"versions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"byteSize"}},{"kind":"Field","name":{"kind":"Name","value":"sha256"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"aliases"}},{"kind":"Field","name":{"kind":"Name","value":"lineage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasetVersionId"}},{"kind":"Field","name":{"kind":"Name","value":"jobId"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleModelQuery, ConsoleModelQueryVariables>;
export const ConsoleModelVersionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleModelVersion"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"modelVersion"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"irVersion"}},{"kind":"Field","name":{"kind":"Name","value":"producer"}},{"kind":"Field","name":{"kind":"Name","value":"model"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"opsets"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"domain"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}},{"kind":"Field","name":{"kind":"Name","value":"inputs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"elementType"}},{"kind":"Field","name":{"kind":"Name","value":"shapeKnown"}},{"kind":"Field","name":{"kind":"Name","value":"shape"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"outputs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"elementType"}},{"kind":"Field","name":{"kind":"Name","value":"shapeKnown"}},{"kind":"Field","name":{"kind":"Name","value":"shape"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleModelVersionQuery, ConsoleModelVersionQueryVariables>;
export const ConsoleLineageDatasetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleLineageDataset"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasetVersion"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"dataset"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleLineageDatasetQuery, ConsoleLineageDatasetQueryVariables>;
export const ConsoleCreateModelDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateModel"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateModelInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createModel"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateModelMutation, ConsoleCreateModelMutationVariables>;
export const ConsoleCreateModelUploadDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateModelUpload"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateModelUploadInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createModelUpload"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"uploadUrl"}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateModelUploadMutation, ConsoleCreateModelUploadMutationVariables>;
export const ConsoleCompleteModelUploadDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCompleteModelUpload"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"uploadId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"idempotencyKey"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"completeModelUpload"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"uploadId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"uploadId"}}},{"kind":"Argument","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"idempotencyKey"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}}]}}]}}]} as unknown as DocumentNode<ConsoleCompleteModelUploadMutation, ConsoleCompleteModelUploadMutationVariables>;
export const ConsoleSetModelAliasDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSetModelAlias"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetModelAliasInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setModelAlias"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alias"}},{"kind":"Field","name":{"kind":"Name","value":"version"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleSetModelAliasMutation, ConsoleSetModelAliasMutationVariables>;
export const ConsoleRemoveModelAliasDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRemoveModelAlias"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"modelId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"alias"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeModelAlias"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"modelId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"modelId"}}},{"kind":"Argument","name":{"kind":"Name","value":"alias"},"value":{"kind":"Variable","name":{"kind":"Name","value":"alias"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alias"}},{"kind":"Field","name":{"kind":"Name","value":"versionNumber"}}]}}]}}]} as unknown as DocumentNode<ConsoleRemoveModelAliasMutation, ConsoleRemoveModelAliasMutationVariables>;
export const ConsoleUpdateModelServingDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUpdateModelServing"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"modelId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ModelServingInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateModelServing"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"modelId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"modelId"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"serving"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"batching"}},{"kind":"Field","name":{"kind":"Name","value":"maxBatchSize"}},{"kind":"Field","name":{"kind":"Name","value":"maxDelayMs"}},{"kind":"Field","name":{"kind":"Name","value":"timeoutMs"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleUpdateModelServingMutation, ConsoleUpdateModelServingMutationVariables>;
export const ConsolePredictDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsolePredict"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PredictInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"predict"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"batchSize"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"modelVersion"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"number"}}]}},{"kind":"Field","name":{"kind":"Name","value":"outputs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"elementType"}},{"kind":"Field","name":{"kind":"Name","value":"shape"}},{"kind":"Field","name":{"kind":"Name","value":"data"}}]}}]}}]}}]} as unknown as DocumentNode<ConsolePredictQuery, ConsolePredictQueryVariables>;
export const ConsoleTenantsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleTenants"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tenants"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"overriddenLimits"}},{"kind":"Field","name":{"kind":"Name","value":"limits"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleTenantLimits"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleTenantLimits"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TenantLimits"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"maxUploadBytes"}},{"kind":"Field","name":{"kind":"Name","value":"maxStorageBytes"}},{"kind":"Field","name":{"kind":"Name","value":"costPerMinute"}},{"kind":"Field","name":{"kind":"Name","value":"costBurst"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrentOperations"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrentJobs"}},{"kind":"Field","name":{"kind":"Name","value":"maxQueuedJobs"}},{"kind":"Field","name":{"kind":"Name","value":"maxJobRunSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationDepth"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationAliases"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationRootFields"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationDirectives"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationTokens"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationCost"}},{"kind":"Field","name":{"kind":"Name","value":"maxOpenSubscriptions"}},{"kind":"Field","name":{"kind":"Name","value":"predictionsPerMinute"}},{"kind":"Field","name":{"kind":"Name","value":"maxPredictionsInFlight"}},{"kind":"Field","name":{"kind":"Name","value":"maxQueuedPredictions"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceProcesses"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceThreads"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceProcessMemoryMb"}},{"kind":"Field","name":{"kind":"Name","value":"maxDatasets"}},{"kind":"Field","name":{"kind":"Name","value":"maxDatasetVersions"}},{"kind":"Field","name":{"kind":"Name","value":"maxModels"}},{"kind":"Field","name":{"kind":"Name","value":"maxModelVersions"}},{"kind":"Field","name":{"kind":"Name","value":"maxMembers"}},{"kind":"Field","name":{"kind":"Name","value":"maxServiceAccounts"}},{"kind":"Field","name":{"kind":"Name","value":"maxApiKeysPerServiceAccount"}},{"kind":"Field","name":{"kind":"Name","value":"keyRotationDays"}}]}}]} as unknown as DocumentNode<ConsoleTenantsQuery, ConsoleTenantsQueryVariables>;
export const ConsoleProvisionTenantDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleProvisionTenant"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ProvisionTenantInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"provisionTenant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"created"}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleProvisionTenantMutation, ConsoleProvisionTenantMutationVariables>;
export const ConsoleSuspendTenantDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSuspendTenant"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"suspendTenant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<ConsoleSuspendTenantMutation, ConsoleSuspendTenantMutationVariables>;
export const ConsoleResumeTenantDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleResumeTenant"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resumeTenant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<ConsoleResumeTenantMutation, ConsoleResumeTenantMutationVariables>;
export const ConsoleSetTenantLimitsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSetTenantLimits"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"limits"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"TenantLimitsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setTenantLimits"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"limits"},"value":{"kind":"Variable","name":{"kind":"Name","value":"limits"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"overriddenLimits"}},{"kind":"Field","name":{"kind":"Name","value":"limits"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleTenantLimits"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleTenantLimits"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TenantLimits"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"maxUploadBytes"}},{"kind":"Field","name":{"kind":"Name","value":"maxStorageBytes"}},{"kind":"Field","name":{"kind":"Name","value":"costPerMinute"}},{"kind":"Field","name":{"kind":"Name","value":"costBurst"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrentOperations"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrentJobs"}},{"kind":"Field","name":{"kind":"Name","value":"maxQueuedJobs"}},{"kind":"Field","name":{"kind":"Name","value":"maxJobRunSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationDepth"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationAliases"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationRootFields"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationDirectives"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationTokens"}},{"kind":"Field","name":{"kind":"Name","value":"maxOperationCost"}},{"kind":"Field","name":{"kind":"Name","value":"maxOpenSubscriptions"}},{"kind":"Field","name":{"kind":"Name","value":"predictionsPerMinute"}},{"kind":"Field","name":{"kind":"Name","value":"maxPredictionsInFlight"}},{"kind":"Field","name":{"kind":"Name","value":"maxQueuedPredictions"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceProcesses"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceThreads"}},{"kind":"Field","name":{"kind":"Name","value":"inferenceProcessMemoryMb"}},{"kind":"Field","name":{"kind":"Name","value":"maxDatasets"}},{"kind":"Field","name":{"kind":"Name","value":"maxDatasetVersions"}},{"kind":"Field","name":{"kind":"Name","value":"maxModels"}},{"kind":"Field","name":{"kind":"Name","value":"maxModelVersions"}},{"kind":"Field","name":{"kind":"Name","value":"maxMembers"}},{"kind":"Field","name":{"kind":"Name","value":"maxServiceAccounts"}},{"kind":"Field","name":{"kind":"Name","value":"maxApiKeysPerServiceAccount"}},{"kind":"Field","name":{"kind":"Name","value":"keyRotationDays"}}]}}]} as unknown as DocumentNode<ConsoleSetTenantLimitsMutation, ConsoleSetTenantLimitsMutationVariables>;
export const ConsoleTenantAccessUsageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleTenantAccessUsage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"members"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tenantId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"serviceAccounts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tenantId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleTenantAccessUsageQuery, ConsoleTenantAccessUsageQueryVariables>;
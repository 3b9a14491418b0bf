import { z } from 'zod';
import { errors } from '@tessera/errors';

const positiveInteger = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** The longest data-key lifetime a tenant may be given (ten years). */
export const maxKeyRotationDays = 3_660;

/** The longest run a tenant's job may be given (seven days). */
export const maxJobRunSecondsBound = 7 * 24 * 3600;

/**
 * Every per-tenant limit the platform enforces, in one schema. The platform's defaults come from
 * configuration (TENANT_LIMIT_DEFAULTS); a tenant's record stores only the limits set for it
 * (`limit_overrides`), so changing a default changes it for every tenant that has no override.
 */
export const tenantLimitsSchema = z
  .object({
    /** Largest single upload (dataset CSV, model file). */
    maxUploadBytes: positiveInteger,
    /** Everything the tenant keeps in its bucket. */
    maxStorageBytes: positiveInteger,
    /** Gateway cost units per minute for the whole tenant (a cheap query costs 1; see the limits table). */
    costPerMinute: positiveInteger,
    /**
     * Cost units the tenant may spend at once (the bucket's size; it refills at costPerMinute): the
     * rate limit's burst. Without it a tenant idle for a minute could spend the whole minute in
     * one second, and every other tenant on the same cores would feel that second.
     */
    costBurst: positiveInteger,
    /**
     * The tenant's queries and mutations running at once on one gateway replica; more wait their
     * turn in the tenant's own queue, so a tenant's burst queues behind itself, not before others.
     */
    maxConcurrentOperations: positiveInteger,
    /** Jobs of the tenant running at the same time, across all workers. */
    maxConcurrentJobs: positiveInteger,
    /** Unfinished (queued + running) jobs; one more submit is QUOTA_EXCEEDED. */
    maxQueuedJobs: positiveInteger,
    /**
     * Seconds one run of a job may take, measured by its worker from the run's start: past it the
     * run stops at its next checkpoint and the job fails JOB_TIME_LIMIT. At most seven days: a run
     * holds one of the pool's slots for as long as it takes, and no bound is no bound at all.
     */
    maxJobRunSeconds: positiveInteger.max(maxJobRunSecondsBound),
    /** Nesting of one operation, counting every field level (introspection included). */
    maxOperationDepth: positiveInteger,
    /** Aliased fields in one operation, counted once per place a fragment is spread. */
    maxOperationAliases: positiveInteger,
    /** Root fields of one operation (through fragments). */
    maxOperationRootFields: positiveInteger,
    /** Directives used in one operation (through fragments). */
    maxOperationDirectives: positiveInteger,
    /** Lexical tokens in the document: bounds the parser's own work. */
    maxOperationTokens: positiveInteger,
    /** Cost of one operation (field weights × list sizes). */
    maxOperationCost: positiveInteger,
    /** Subscriptions open at once, across every gateway replica. */
    maxOpenSubscriptions: positiveInteger,
    /** Predictions started per minute, across all models-service replicas. */
    predictionsPerMinute: positiveInteger,
    /** Predictions accepted and not yet answered (queued + running) at the same time. */
    maxPredictionsInFlight: positiveInteger,
    /** Predictions waiting for a free inference process of the tenant's pool. */
    maxQueuedPredictions: positiveInteger,
    /** Child processes of the tenant's inference pool (per models replica; capped by the host's bound). */
    inferenceProcesses: positiveInteger,
    /** onnxruntime intra-op threads per inference process (capped by the host's bound). */
    inferenceThreads: positiveInteger,
    /** Resident memory of one inference process; over it the process is killed and replaced. */
    inferenceProcessMemoryMb: positiveInteger,
    /** Datasets the tenant keeps (quota `datasets`). */
    maxDatasets: positiveInteger,
    /** Dataset versions over all datasets (quota `datasetVersions`). */
    maxDatasetVersions: positiveInteger,
    /** Models the tenant keeps (quota `models`). */
    maxModels: positiveInteger,
    /** Model versions over all models (quota `modelVersions`). */
    maxModelVersions: positiveInteger,
    /**
     * Members of the tenant, counting e-mail invitations pending or expired (quota `members`): their
     * rows live in the control plane every tenant shares, and each one is work on every listing.
     */
    maxMembers: positiveInteger,
    /** Service accounts of the tenant (quota `serviceAccounts`). */
    maxServiceAccounts: positiveInteger,
    /** Unrevoked API keys of one service account, expired ones included until revoked (quota `apiKeys`). */
    maxApiKeysPerServiceAccount: positiveInteger,
    /**
     * Age in days after which the tenants service rotates the tenant's data key by itself. At most
     * ten years: a key never rotated is no policy, and a date beyond JavaScript's range (2^31 days)
     * made the next rotation's time unreadable.
     */
    keyRotationDays: positiveInteger.max(maxKeyRotationDays),
  })
  .strict();

export type TenantLimits = z.infer<typeof tenantLimitsSchema>;
export type TenantLimitName = keyof TenantLimits;
export type TenantLimitOverrides = Partial<TenantLimits>;

export const tenantLimitNames = Object.keys(tenantLimitsSchema.shape) as TenantLimitName[];

/** The platform's defaults when configuration sets none. */
export const defaultTenantLimits: TenantLimits = {
  maxUploadBytes: 100 * 1024 * 1024,
  maxStorageBytes: 10 * 1024 * 1024 * 1024,
  costPerMinute: 60_000,
  costBurst: 20_000,
  maxConcurrentOperations: 4,
  maxConcurrentJobs: 4,
  maxQueuedJobs: 1000,
  maxJobRunSeconds: 3600,
  maxOperationDepth: 15,
  maxOperationAliases: 30,
  maxOperationRootFields: 20,
  maxOperationDirectives: 50,
  maxOperationTokens: 5_000,
  maxOperationCost: 5_000,
  maxOpenSubscriptions: 100,
  predictionsPerMinute: 30_000,
  maxPredictionsInFlight: 512,
  maxQueuedPredictions: 256,
  inferenceProcesses: 1,
  inferenceThreads: 1,
  inferenceProcessMemoryMb: 1024,
  maxDatasets: 1_000,
  maxDatasetVersions: 10_000,
  maxModels: 1_000,
  maxModelVersions: 10_000,
  maxMembers: 1_000,
  maxServiceAccounts: 100,
  maxApiKeysPerServiceAccount: 10,
  keyRotationDays: 90,
};

/** The effective limits: the tenant's overrides over the platform defaults. */
export function effectiveLimits(defaults: TenantLimits, overrides: TenantLimitOverrides): TenantLimits {
  const limits = { ...defaults };
  for (const name of tenantLimitNames) {
    const value = overrides[name];
    if (value !== undefined) limits[name] = value;
  }
  return limits;
}

/**
 * Overrides as given by a client (provisioning, setTenantLimits): every named limit must be a
 * positive integer. Throws BAD_USER_INPUT naming the field; `null` values mean "back to the default"
 * and are returned in `reset`.
 */
export function parseLimitOverrides(input: Record<string, unknown>, fieldPrefix = 'limits'): { set: TenantLimitOverrides; reset: TenantLimitName[] } {
  const set: TenantLimitOverrides = {};
  const reset: TenantLimitName[] = [];
  for (const [name, value] of Object.entries(input)) {
    if (!(tenantLimitNames as string[]).includes(name)) throw errors.badInput(`${fieldPrefix}.${name} is not a tenant limit.`, { field: `${fieldPrefix}.${name}` });
    if (value === undefined) continue;
    if (value === null) {
      reset.push(name as TenantLimitName);
      continue;
    }
    const limit = tenantLimitsSchema.shape[name as TenantLimitName];
    if (!limit.safeParse(value).success) {
      const most = limit.maxValue !== null && limit.maxValue < Number.MAX_SAFE_INTEGER ? ` of at most ${limit.maxValue}` : '';
      throw errors.badInput(`${fieldPrefix}.${name} must be a positive integer${most}.`, { field: `${fieldPrefix}.${name}` });
    }
    set[name as TenantLimitName] = value as number;
  }
  return { set, reset };
}

/** Overrides read back from the database: anything no longer a valid limit is dropped, not trusted. */
export function storedLimitOverrides(raw: unknown): TenantLimitOverrides {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return {};
    }
  }
  if (!value || typeof value !== 'object') return {};
  const overrides: TenantLimitOverrides = {};
  for (const name of tenantLimitNames) {
    const candidate = (value as Record<string, unknown>)[name];
    if (tenantLimitsSchema.shape[name].safeParse(candidate).success) overrides[name] = candidate as number;
  }
  return overrides;
}

/** TENANT_LIMIT_DEFAULTS: a JSON object of limits that replaces the built-in defaults it names. */
export const tenantLimitDefaultsVariable = z
  .string()
  .optional()
  .transform((text, ctx): TenantLimits => {
    if (!text) return defaultTenantLimits;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of tenant limits' });
      return z.NEVER;
    }
    const result = tenantLimitsSchema.partial().safeParse(parsed);
    if (!result.success) {
      ctx.addIssue({ code: 'custom', message: `invalid tenant limits: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
      return z.NEVER;
    }
    return effectiveLimits(defaultTenantLimits, result.data);
  });

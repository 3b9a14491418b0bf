import type { TenantLimitsInput } from '../../generated/graphql';

/** A tenant limit as `setTenantLimits` names it. */
export type TenantLimitName = keyof TenantLimitsInput;

export type LimitGroup = 'Data and storage' | 'Jobs' | 'Predictions and inference' | 'API requests' | 'Members, service accounts and API keys' | 'Encryption';

export interface LimitField {
  name: TenantLimitName;
  label: string;
  group: LimitGroup;
  /** The GraphQL scalar of the input field: it bounds what may be sent at all (Int is 32-bit). */
  scalar: 'Int' | 'Float';
  /** How the current value reads beside the field. */
  unit?: 'bytes';
  /** The access row the limit caps, whose count the editor shows beside it. */
  usage?: 'members' | 'serviceAccounts' | 'apiKeysPerServiceAccount';
}

/**
 * Every limit `setTenantLimits` accepts, in the order the editor shows them: the editor, its
 * validation and what it sends are all driven by this one list. A limit added to the API and not
 * listed here fails the type check below and console/test/tenant-limit-fields.test.ts, which
 * compares this list with the schema's `TenantLimitsInput` by introspection.
 */
export const tenantLimitFields = [
  { name: 'maxDatasets', label: 'Max datasets', group: 'Data and storage', scalar: 'Int' },
  { name: 'maxDatasetVersions', label: 'Max dataset versions', group: 'Data and storage', scalar: 'Int' },
  { name: 'maxModels', label: 'Max models', group: 'Data and storage', scalar: 'Int' },
  { name: 'maxModelVersions', label: 'Max model versions', group: 'Data and storage', scalar: 'Int' },
  { name: 'maxStorageBytes', label: 'Max storage (bytes)', group: 'Data and storage', scalar: 'Float', unit: 'bytes' },
  { name: 'maxUploadBytes', label: 'Max upload (bytes)', group: 'Data and storage', scalar: 'Float', unit: 'bytes' },
  { name: 'maxConcurrentJobs', label: 'Max concurrent jobs', group: 'Jobs', scalar: 'Int' },
  { name: 'maxQueuedJobs', label: 'Max queued jobs', group: 'Jobs', scalar: 'Int' },
  { name: 'maxJobRunSeconds', label: 'Max job run time (seconds)', group: 'Jobs', scalar: 'Float' },
  { name: 'predictionsPerMinute', label: 'Predictions per minute', group: 'Predictions and inference', scalar: 'Int' },
  { name: 'maxPredictionsInFlight', label: 'Max predictions in flight', group: 'Predictions and inference', scalar: 'Int' },
  { name: 'maxQueuedPredictions', label: 'Max queued predictions', group: 'Predictions and inference', scalar: 'Int' },
  { name: 'inferenceProcesses', label: 'Inference processes', group: 'Predictions and inference', scalar: 'Int' },
  { name: 'inferenceThreads', label: 'Inference threads', group: 'Predictions and inference', scalar: 'Int' },
  { name: 'inferenceProcessMemoryMb', label: 'Inference process memory (MiB)', group: 'Predictions and inference', scalar: 'Int' },
  { name: 'costPerMinute', label: 'Cost units per minute', group: 'API requests', scalar: 'Float' },
  { name: 'costBurst', label: 'Cost burst', group: 'API requests', scalar: 'Float' },
  { name: 'maxConcurrentOperations', label: 'Max concurrent operations', group: 'API requests', scalar: 'Int' },
  { name: 'maxOpenSubscriptions', label: 'Max open subscriptions', group: 'API requests', scalar: 'Int' },
  { name: 'maxOperationDepth', label: 'Max operation depth', group: 'API requests', scalar: 'Int' },
  { name: 'maxOperationAliases', label: 'Max operation aliases', group: 'API requests', scalar: 'Int' },
  { name: 'maxOperationRootFields', label: 'Max operation root fields', group: 'API requests', scalar: 'Int' },
  { name: 'maxOperationDirectives', label: 'Max operation directives', group: 'API requests', scalar: 'Int' },
  { name: 'maxOperationTokens', label: 'Max operation tokens', group: 'API requests', scalar: 'Int' },
  { name: 'maxOperationCost', label: 'Max operation cost', group: 'API requests', scalar: 'Float' },
  { name: 'maxMembers', label: 'Max members', group: 'Members, service accounts and API keys', scalar: 'Int', usage: 'members' },
  { name: 'maxServiceAccounts', label: 'Max service accounts', group: 'Members, service accounts and API keys', scalar: 'Int', usage: 'serviceAccounts' },
  { name: 'maxApiKeysPerServiceAccount', label: 'Max API keys per service account', group: 'Members, service accounts and API keys', scalar: 'Int', usage: 'apiKeysPerServiceAccount' },
  { name: 'keyRotationDays', label: 'Key rotation (days)', group: 'Encryption', scalar: 'Int' },
] as const satisfies readonly LimitField[];

// Fails to compile when TenantLimitsInput (generated from the schema) has a limit the list lacks.
type UnlistedLimit = Exclude<TenantLimitName, (typeof tenantLimitFields)[number]['name']>;
export const everyLimitListed: [UnlistedLimit] extends [never] ? true : UnlistedLimit = true;

export const limitGroups: readonly LimitGroup[] = ['Data and storage', 'Jobs', 'Predictions and inference', 'API requests', 'Members, service accounts and API keys', 'Encryption'];

/** The largest value each scalar carries: GraphQL's Int is 32-bit; a Float limit must still be an exact integer. */
const scalarMax = { Int: 2_147_483_647, Float: Number.MAX_SAFE_INTEGER } as const;

/** What the form holds for each limit: the text typed; empty means "the platform default". */
export type LimitDrafts = Record<TenantLimitName, string>;

export type LimitValues = Record<TenantLimitName, number>;

/** Every field starts at the limit in force, default or not: typing over a default makes an override. */
export function draftsOf(current: LimitValues): LimitDrafts {
  return Object.fromEntries(tenantLimitFields.map((field) => [field.name, String(current[field.name])])) as LimitDrafts;
}

export interface LimitChanges {
  /** What to send: a number sets an override, null returns the limit to the platform default. */
  changes: TenantLimitsInput;
  /** Problems found before sending, by limit. */
  problems: Partial<Record<TenantLimitName, string>>;
}

/**
 * The limits the form changes, and nothing else: a limit left as it is stays as it is (an
 * unchanged default must not become an override). An emptied field sends null (back to the
 * default) for an overridden limit. The shape is checked here (a whole number of at least 1 that
 * the scalar carries); the API checks the bounds of each limit and names the field it refuses.
 */
export function limitChanges(drafts: LimitDrafts, current: LimitValues, overridden: readonly string[]): LimitChanges {
  const changes: Record<string, number | null> = {};
  const problems: Partial<Record<TenantLimitName, string>> = {};
  for (const field of tenantLimitFields) {
    const text = drafts[field.name].trim();
    const isOverridden = overridden.includes(field.name);
    if (text === '') {
      if (isOverridden) changes[field.name] = null;
      continue;
    }
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < 1) {
      problems[field.name] = 'A whole number of at least 1 (empty: the platform default).';
      continue;
    }
    if (value > scalarMax[field.scalar]) {
      problems[field.name] = `At most ${scalarMax[field.scalar].toLocaleString('en-US')}.`;
      continue;
    }
    if (value !== current[field.name]) changes[field.name] = value;
  }
  return { changes: changes as TenantLimitsInput, problems };
}

/** The limit an API error names (`extensions.field`, e.g. `limits.maxMembers`), if it is one of the list. */
export function limitOfField(field: string | undefined): TenantLimitName | undefined {
  if (!field?.startsWith('limits.')) return undefined;
  const name = field.slice('limits.'.length);
  return tenantLimitFields.find((limit) => limit.name === name)?.name;
}

/**
 * Bad-input sweep of a running platform's public API (not part of npm test).
 *
 * Reads the composed schema through the gateway (introspection), then for every query and
 * mutation field sends arguments built from their types with edge values, one argument (or one
 * input field) changed at a time from a baseline that reaches the resolver. Also probes the plain
 * HTTP routes (uploads, downloads, POST /v1/predict, GET /graphql). Flags INTERNAL_SERVER_ERROR,
 * HTTP 5xx, answers over 5 s, messages that leak internals, and new error lines in the platform's
 * log.
 *
 *   NODE_EXTRA_CA_CERTS=.tessera/pki/ca.pem npx tsx scripts/fuzz-api.ts \
 *     --token-file tenant-admin.cred --other-token-file other-tenant-admin.cred \
 *     [--platform-token-file platform-admin.cred] [--log /tmp/start.log] [--json report.json] [--only field,field]
 *
 * The tenant admin's and the other tenant's tenants get a dataset and a model (the demo data's
 * flow) so that ids exist; the other tenant's ids are used as "foreign" ids and must be
 * NOT_FOUND. Run it only against throwaway tenants: its mutations change the tenant they act in.
 * As platform admin it only acts on the other tenant and on ids that cannot exist; the platform's
 * key-encryption-key mutations are never sent as platform admin.
 */
import { readFileSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isScalarType,
  isLeafType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import WebSocket from 'ws';
import { ensureDemoDataset, ensureDemoModel } from './start/demo-data';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const base = opt('url') ?? 'https://localhost:4000';
const graphqlUrl = `${base}/graphql`;
const tokenOf = (file: string | undefined): string | undefined => (file ? readFileSync(file, 'utf8').trim() : undefined);
const token = tokenOf(opt('token-file'))!;
const otherToken = tokenOf(opt('other-token-file'))!;
const platformToken = tokenOf(opt('platform-token-file'));
const logFile = opt('log') ?? '/tmp/start.log';
const only = opt('only')?.split(',');
const slowMs = 5_000;
if (!token || !otherToken) throw new Error('--token-file and --other-token-file are required');

// ---------------------------------------------------------------------------------------------
// Recording

interface Finding {
  kind: 'INTERNAL' | 'HTTP_5XX' | 'SLOW' | 'LEAK' | 'NETWORK' | 'LOG';
  case: string;
  status?: number;
  ms?: number;
  detail: string;
}
const findings: Finding[] = [];
const codeCounts = new Map<string, number>();
let cases = 0;
const skipped: string[] = [];
const fieldsSwept = new Set<string>();

const leakPattern =
  /\b(ER_[A-Z_]+|SQL|mysql|mariadb|SELECT |INSERT |UPDATE `|tenant_[a-z0-9_]+\.|ECONNREFUSED|ECONNRESET|EPIPE|TypeError|ReferenceError|RangeError|SyntaxError: Unexpected|Cannot read propert|undefined is not|is not a function|node_modules|\/work\/|\.ts:\d+|at [A-Za-z.]+ \(|stack|redis|minio|s3rver|BullMQ|typeorm|QueryFailedError|Maximum call stack)/i;

const caseLog: string[] = [];

function record(name: string, status: number, ms: number, body: unknown, text: string): void {
  cases += 1;
  const summary = ((body as { errors?: Array<{ message?: string; extensions?: { code?: string } }> } | undefined)?.errors ?? []).map((e) => `${e.extensions?.code}: ${String(e.message).slice(0, 200)}`);
  caseLog.push(JSON.stringify({ name, status, ms: Math.round(ms), errors: summary, ok: summary.length === 0 ? text.slice(0, 200) : undefined }));
  if (ms > slowMs) findings.push({ kind: 'SLOW', case: name, status, ms, detail: text.slice(0, 300) });
  if (status >= 500) findings.push({ kind: 'HTTP_5XX', case: name, status, ms, detail: text.slice(0, 500) });
  const errors = (body as { errors?: Array<{ message?: string; extensions?: { code?: string } }> } | undefined)?.errors ?? [];
  if (errors.length === 0) codeCounts.set('OK', (codeCounts.get('OK') ?? 0) + 1);
  for (const error of errors) {
    const code = error.extensions?.code ?? '(none)';
    codeCounts.set(code, (codeCounts.get(code) ?? 0) + 1);
    if (code === 'INTERNAL_SERVER_ERROR' || code === '(none)') {
      findings.push({ kind: 'INTERNAL', case: name, status, ms, detail: JSON.stringify(error).slice(0, 500) });
    }
    // Messages of GraphQL validation quote the variable's value: only the service's own words count.
    const message = String(error.message ?? '');
    if (code !== 'GRAPHQL_VALIDATION_FAILED' && code !== 'BAD_USER_INPUT' && leakPattern.test(message)) {
      findings.push({ kind: 'LEAK', case: name, status, ms, detail: message.slice(0, 400) });
    }
    if ((code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED') && /ER_|QueryFailed|node_modules|\/work\/|\.ts:\d+|Cannot read/.test(message)) {
      findings.push({ kind: 'LEAK', case: name, status, ms, detail: message.slice(0, 400) });
    }
  }
}

async function send(
  name: string,
  url: string,
  init: RequestInit & { timeoutMs?: number },
): Promise<{ status: number; text: string; body: unknown; ms: number } | undefined> {
  if (typeof init.body === 'string' && init.body.length < 200_000) {
    try {
      const parsed = JSON.parse(init.body) as { query?: string; variables?: { input?: { id?: unknown } } };
      // A valid tenant id among the edge values ("not-a-uuid") would provision a real tenant: only fuzz- ones are.
      const provisioning = typeof parsed.query === 'string' && parsed.query.includes('provisionTenant') ? parsed.variables?.input?.id : undefined;
      if (typeof provisioning === 'string' && /^[a-z][a-z0-9-]{2,31}$/.test(provisioning) && !provisioning.startsWith('fuzz-')) {
        skipped.push(name);
        return undefined;
      }
      if (touchesOtherTenant(parsed)) {
        skipped.push(name);
        return undefined;
      }
    } catch {
      // not JSON: sent as is
    }
  }
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 60_000) });
    const text = await response.text();
    const ms = performance.now() - started;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    record(name, response.status, ms, body, text);
    return { status: response.status, text, body, ms };
  } catch (error) {
    cases += 1;
    const ms = performance.now() - started;
    findings.push({ kind: 'NETWORK', case: name, ms, detail: String((error as Error)?.message ?? error) + ' ' + String((error as { cause?: unknown }).cause ?? '') });
    return undefined;
  }
}

async function gql(bearer: string, query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: any[] }> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: any[] };
}

// ---------------------------------------------------------------------------------------------
// Seed: one dataset (with a version), one model (with a version and alias), jobs, per tenant.

interface Ids {
  tenant: string;
  dataset: string;
  datasetVersion: string;
  model: string;
  modelVersion: string;
  job?: string;
  member?: string;
  serviceAccount?: string;
  apiKey?: string;
  alert?: string;
  accessReview?: string;
}

async function seed(bearer: string): Promise<Ids> {
  await ensureDemoDataset(graphqlUrl, bearer);
  await ensureDemoModel(graphqlUrl, bearer);
  const { data } = await gql(
    bearer,
    `{ currentTenant { id } datasets(first: 5) { edges { node { id versions { edges { node { id } } } } } }
       models(first: 5) { edges { node { id versions { edges { node { id } } } } } } jobs(first: 5) { edges { node { id } } }
       members { id } serviceAccounts { id apiKeys { id } } accessReviews(first: 1) { edges { node { id } } } }`,
  );
  const dataset = data.datasets.edges[0].node;
  const model = data.models.edges[0].node;
  let job = data.jobs.edges[0]?.node.id as string | undefined;
  if (!job) {
    const submitted = await gql(bearer, `mutation($i: SubmitProfileJobInput!) { submitProfileJob(input: $i) { id } }`, {
      i: { datasetVersionId: dataset.versions.edges[0].node.id },
    });
    job = submitted.data?.submitProfileJob?.id;
  }
  let serviceAccount = data.serviceAccounts?.[0]?.id as string | undefined;
  let apiKey = data.serviceAccounts?.[0]?.apiKeys?.[0]?.id as string | undefined;
  if (!serviceAccount) {
    const created = await gql(bearer, `mutation { createServiceAccount(input: { name: "fuzz-seed", role: VIEWER }) { id } }`);
    serviceAccount = created.data?.createServiceAccount?.id;
    const key = await gql(bearer, `mutation($a: ID!) { createApiKey(input: { serviceAccountId: $a }) { apiKey { id } } }`, { a: serviceAccount });
    apiKey = key.data?.createApiKey?.apiKey?.id;
  }
  let accessReview = data.accessReviews?.edges?.[0]?.node?.id as string | undefined;
  if (!accessReview) accessReview = (await gql(bearer, `mutation { runAccessReview { id } }`)).data?.runAccessReview?.id;
  return {
    tenant: data.currentTenant.id,
    dataset: dataset.id,
    datasetVersion: dataset.versions.edges[0].node.id,
    model: model.id,
    modelVersion: model.versions.edges[0].node.id,
    job,
    member: data.members?.[0]?.id,
    serviceAccount,
    apiKey,
    accessReview,
  };
}

// ---------------------------------------------------------------------------------------------
// Values

const big = 'a'.repeat(100 * 1024);
const uuid0 = '00000000-0000-0000-0000-000000000000';

function stringEdges(foreign: string[]): unknown[] {
  return [
    '',
    ' ',
    big,
    'x'.repeat(256),
    '\u0000',
    'a\u0000b',
    '\u0001\u0008\u001b[31m\u007f',
    '\r\n\t',
    '😀𝕏\uFFFF\u202E',
    '\uD800',
    'é'.repeat(200),
    '../../../../etc/passwd',
    '..\\..\\windows',
    '%00',
    '%2e%2e%2f',
    "' OR 1=1 --",
    '"; DROP TABLE datasets; --',
    '`',
    '\\',
    '*',
    '%',
    '_',
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    'not-a-uuid',
    uuid0,
    randomUUID(),
    randomUUID().toUpperCase(),
    `${randomUUID()} `,
    // Other tenants appear only through `foreign` (a throwaway tenant's ids): never a real tenant's name.
    ...foreign,
    ...foreign.filter((id) => !/^[0-9a-f-]{36}$/.test(id)).map((id) => `tenant_${id}`),
    0,
    true,
    { a: 1 },
    ['a'],
  ];
}
const intEdges: unknown[] = [0, -1, 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, 1.5, 1e308, '1', true, 'NaN', [1]];
const floatEdges: unknown[] = [0, -0.0, -1, 1e-320, 1e308, -1e308, 2 ** 53 + 2, 3.5e38, '1', 'Infinity', 'NaN', true];
const booleanEdges: unknown[] = ['true', 1, 0, 'yes'];
const dateEdges: unknown[] = [
  '0001-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '+999999-01-01T00:00:00Z',
  '2026-13-45T25:61:61Z',
  '2026-02-30T00:00:00Z',
  '2026-01-01',
  '2026-01-01T00:00:00',
  '2026-01-01T00:00:00+14:00',
  '2026-01-01T00:00:00.123456789Z',
  'not-a-date',
  '',
  big,
  0,
  -8.64e15,
  8.64e15 + 1,
  1e21,
  true,
];

// ---------------------------------------------------------------------------------------------
// Baselines: values that pass validation, so the variations reach the resolver.

const now = Date.now();
const hourAgo = new Date(now - 3600_000).toISOString();
const nowIso = new Date(now).toISOString();

function idFor(field: string, arg: string, ids: Ids): string {
  const f = field.toLowerCase();
  const a = arg.toLowerCase();
  if (a === 'tenantid') return ids.tenant;
  if (a === 'serviceaccountid') return ids.serviceAccount ?? randomUUID();
  if (f === 'revokeapikey') return randomUUID().replace(/-/g, '').slice(0, 16);
  if (a === 'after') return undefined as unknown as string;
  if (/^(delete|remove|cancel|revoke|acknowledge|retire)/.test(f)) return randomUUID();
  if (a === 'datasetid' || a === 'inputdatasetid') return ids.dataset;
  if (a === 'datasetversionid' || a === 'inputdatasetversionid') return ids.datasetVersion;
  if (a === 'modelid') return ids.model;
  if (a === 'modelversionid') return ids.modelVersion;
  if (a === 'uploadid') return randomUUID();
  if (f.includes('datasetversion')) return ids.datasetVersion;
  if (f.includes('dataset')) return ids.dataset;
  if (f.includes('modelversion')) return ids.modelVersion;
  if (f.includes('model')) return ids.model;
  if (f.includes('job')) return ids.job ?? randomUUID();
  if (f.includes('member') || f.includes('invitation')) return ids.member ?? randomUUID();
  if (f.includes('serviceaccount')) return ids.serviceAccount ?? randomUUID();
  if (f.includes('apikey')) return ids.apiKey ?? randomUUID();
  if (f.includes('accessreview')) return ids.accessReview ?? randomUUID();
  if (f.includes('tenant')) return ids.tenant;
  return randomUUID();
}

function baseline(field: string, name: string, type: GraphQLInputType, ids: Ids, depth = 0): unknown {
  if (isNonNullType(type)) return baseline(field, name, type.ofType, ids, depth);
  if (isListType(type)) return [baseline(field, name, type.ofType, ids, depth)];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const inner of Object.values(type.getFields())) {
      if (isNonNullType(inner.type) || (depth === 0 && type.name !== 'TenantLimitsInput')) {
        const value = baseline(field, inner.name, inner.type, ids, depth + 1);
        if (value !== undefined) out[inner.name] = value;
      }
    }
    return special(field, name, out, ids);
  }
  if (isScalarType(type)) {
    const n = name.toLowerCase();
    switch (type.name) {
      case 'ID':
        return idFor(field, name, ids);
      case 'String':
        if (n === 'confirm') return 'no';
        if (n === 'after') return undefined;
        if (n === 'operationname') return 'Fuzz';
        if (n.endsWith('id')) return idFor(field, name, ids);
        if (n === 'region' || n === 'toregion') return 'us-east-1';
        if (n === 'url') return 'https://example.invalid/hook';
        if (n === 'email') return 'fuzz-fuzz@example.invalid';
        if (n === 'subject') return `fuzz-fuzz-${randomUUID().slice(0, 8)}`;
        if (n === 'alias') return 'fuzz-alias';
        if (n === 'name' && field === 'modelByName') return 'iris-classifier';
        if (n === 'modelname') return 'iris-classifier';
        if (n === 'receipt') return 'x';
        if (n === 'period') return '2026-11';
        return `fuzz-fz-${randomUUID().slice(0, 8)}`;
      case 'Int':
        if (n === 'first') return 5;
        if (n === 'bytesize') return 10;
        if (n === 'version') return 1;
        return 1;
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'DateTime':
        return n === 'to' || n.endsWith('to') || n === 'expiresat' ? nowIso : hourAgo;
      default:
        return 'x';
    }
  }
  return undefined;
}

/** Inputs whose shape a type alone does not tell (predict's tensors, the tenant to provision). */
function special(field: string, name: string, value: Record<string, unknown>, ids: Ids): Record<string, unknown> {
  if (field === 'predict' && name === 'input') {
    return { modelId: ids.model, alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data: [6.3, 3.3, 6.0, 2.5] }] };
  }
  if (field === 'provisionTenant' && name === 'input') return { ...value, id: 'fuzz-fz-prov', region: 'us-east-1', initialAdmin: { subject: 'fuzz-fz-prov-admin' } };
  if (field === 'inviteMember' && name === 'input') return { ...value, email: undefined, expiresInHours: undefined };
  if (field === 'submitBatchInferenceJob' && name === 'input') return { ...value, modelId: undefined, alias: undefined, featureColumns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] };
  if (field === 'submitTrainingJob' && name === 'input') return { ...value, targetColumn: 'species', featureColumns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] };
  if (field === 'submitProfileJob' && name === 'input') return { ...value, columns: ['sepal_length'] };
  if (field === 'updateModelServing' && name === 'input') return { ...value, maxBatchSize: 8, maxDelayMs: 2, timeoutMs: 1000 };
  if (field === 'createDatasetUpload' && name === 'input') return { ...value, contentType: 'text/csv' };
  if (field === 'createApiKey' && name === 'input') return { ...value, serviceAccountId: ids.serviceAccount, operations: ['datasets'], role: undefined };
  if (field === 'predict' && name === 'inputs') return { name: 'features', shape: [1, 4], data: [6.3, 3.3, 6.0, 2.5] };
  return value;
}

function edgesFor(type: GraphQLInputType, foreign: string[], argName: string): unknown[] {
  const nullable = !isNonNullType(type);
  const inner = isNonNullType(type) ? type.ofType : type;
  const out: unknown[] = [null];
  if (!nullable) out.push(undefined);
  if (isListType(inner)) {
    const item = inner.ofType;
    out.push([], [null], 'not-a-list');
    return out;
  }
  if (isEnumType(inner)) return [...out, 'UNKNOWN_ENUM_VALUE', '', inner.getValues()[0]!.value.toLowerCase(), 1, big];
  if (isInputObjectType(inner)) return [...out, {}, 'x', [], { unknownField: 1 }, deep(2_000)];
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'Int':
        return [...out, ...intEdges];
      case 'Float':
        return [...out, ...floatEdges];
      case 'Boolean':
        return [...out, ...booleanEdges];
      case 'DateTime':
        return [...out, ...dateEdges];
      default:
        return [...out, ...stringEdges(argName.toLowerCase() === 'confirm' ? [] : foreign)];
    }
  }
  return out;
}

function deep(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

// ---------------------------------------------------------------------------------------------
// Documents

function selection(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  if (isLeafType(named)) return '';
  if (isObjectType(named) || isInterfaceType(named)) {
    const scalars = Object.values(named.getFields())
      .filter((f) => isLeafType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type)))
      .map((f) => f.name);
    return `{ __typename ${scalars.join(' ')} }`;
  }
  return '{ __typename }';
}

function document(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, args: readonly GraphQLArgument[], schema: GraphQLSchema): string {
  const defs = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const call = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  return `${kind} Fuzz${defs ? `(${defs})` : ''} { ${field.name}${call ? `(${call})` : ''} ${selection(schema, field)} }`;
}

/** Every path to a leaf or list inside an input object, so each input field is varied alone. */
function inputPaths(type: GraphQLInputType, prefix: string[] = [], depth = 0): Array<{ path: string[]; type: GraphQLInputType }> {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (!isInputObjectType(inner) || depth > 3) return [];
  const out: Array<{ path: string[]; type: GraphQLInputType }> = [];
  for (const f of Object.values(inner.getFields())) {
    out.push({ path: [...prefix, f.name], type: f.type });
    out.push(...inputPaths(f.type, [...prefix, f.name], depth + 1));
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(target);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
    if (Array.isArray(node)) node = node[0] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const platformOnlyNeverSend = new Set([
  'rotateKeyEncryptionKey',
  'rewrapDataKeys',
  'retireKeyEncryptionKeyVersion',
  'destroyKeyEncryptionKeyVersion',
  'requestTenantErasure',
  'cancelTenantErasure',
]);
const platformFields = new Set([
  'tenants',
  'tenant',
  'platformUsage',
  'verifySecurityLog',
  'verifyErasureReceipt',
  'keyEncryptionKeyStatus',
  'tenantErasure',
  'tenantDataKeys',
  'keyOperation',
  'datasetKey',
  'modelKey',
  'members',
  'serviceAccounts',
  'provisionTenant',
  'suspendTenant',
  'resumeTenant',
  'setTenantLimits',
  'migrateTenantRegion',
  'inviteMember',
  'rotateTenantKey',
  'reencryptTenantObjects',
  'retireTenantKeyVersion',
  'rotateDatasetKey',
  'rotateModelKey',
  'retireDatasetKeyVersion',
  'retireModelKeyVersion',
]);

/** Tenants the sweep may act on; every string in a case's variables that names another existing tenant is dropped. */
let existingTenants = new Set<string>();
let allowedTenants = new Set<string>();

function touchesOtherTenant(value: unknown): boolean {
  if (typeof value === 'string') return existingTenants.has(value) && !allowedTenants.has(value);
  if (Array.isArray(value)) return value.slice(0, 10).some(touchesOtherTenant);
  if (value && typeof value === 'object') return Object.values(value).some(touchesOtherTenant);
  return false;
}

async function sweepFields(schema: GraphQLSchema, bearer: string, who: string, ids: Ids, foreign: string[], filter: (field: string) => boolean): Promise<void> {
  for (const [kind, root] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      if (!filter(field.name)) continue;
      if (only && !only.includes(field.name)) continue;
      fieldsSwept.add(`${kind}.${field.name}`);
      const args = field.args;
      const baseVars: Record<string, unknown> = {};
      for (const a of args) baseVars[a.name] = baseline(field.name, a.name, a.type, ids);
      const doc = document(kind, field, args, schema);
      const label = (what: string) => `${who} ${kind} ${field.name} ${what}`;
      await send(label('baseline'), graphqlUrl, post(bearer, { query: doc, variables: baseVars }));
      for (const a of args) {
        // Missing optional argument: left out of the document entirely.
        if (!isNonNullType(a.type)) {
          const rest = args.filter((x) => x !== a);
          const vars = { ...baseVars };
          delete vars[a.name];
          await send(label(`${a.name}=<absent>`), graphqlUrl, post(bearer, { query: document(kind, field, rest, schema), variables: vars }));
        }
        for (const value of edgesFor(a.type, foreign, a.name)) {
          const vars = { ...baseVars };
          if (value === undefined) delete vars[a.name];
          else vars[a.name] = value;
          await send(label(`${a.name}=${show(value)}`), graphqlUrl, post(bearer, { query: doc, variables: vars }));
        }
        const inner = isNonNullType(a.type) ? a.type.ofType : a.type;
        if (isListType(inner)) {
          const item = baseline(field.name, a.name, inner.ofType, ids);
          await send(label(`${a.name}=[10000 items]`), graphqlUrl, post(bearer, { query: doc, variables: { ...baseVars, [a.name]: Array(10_000).fill(item) } }));
        }
        for (const { path, type } of inputPaths(a.type)) {
          const holder = (baseVars[a.name] ?? {}) as Record<string, unknown>;
          const root = Array.isArray(holder) ? holder[0] : holder;
          if (typeof root !== 'object' || root === null) continue;
          const values = [...edgesFor(type, foreign, path[path.length - 1]!)];
          const innerType = isNonNullType(type) ? type.ofType : type;
          if (isListType(innerType)) values.push(Array(10_000).fill(baseline(field.name, path[path.length - 1]!, innerType.ofType, ids)));
          if (!isNonNullType(type)) values.push(undefined);
          for (const value of values) {
            const changed = setPath(root as Record<string, unknown>, path, value);
            await send(label(`${a.name}.${path.join('.')}=${show(value)}`), graphqlUrl, post(bearer, { query: doc, variables: { ...baseVars, [a.name]: Array.isArray(holder) ? [changed] : changed } }));
          }
        }
      }
    }
  }
}

function show(value: unknown): string {
  if (value === undefined) return '<absent>';
  if (Array.isArray(value) && value.length > 5) return `[${value.length} items]`;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 40)}…(${text.length} chars)` : text;
}

function post(bearer: string | undefined, body: unknown, extraHeaders: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...extraHeaders },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP routes

function b64(values: number[], kind: 'f32' | 'f64' | 'i32' | 'raw', raw?: Buffer): string {
  if (kind === 'raw') return raw!.toString('base64');
  const array = kind === 'f32' ? new Float32Array(values) : kind === 'f64' ? new Float64Array(values) : new Int32Array(values);
  return Buffer.from(array.buffer).toString('base64');
}

async function sweepRoutes(ids: Ids, foreignIds: Ids): Promise<void> {
  const predictUrl = `${base}/v1/predict`;
  const good = { modelId: ids.model, alias: 'production' };
  const tensor = (t: Record<string, unknown>) => ({ ...good, inputs: [{ name: 'features', ...t }] });
  const predictBodies: Array<[string, unknown]> = [
    ['ok numbers', tensor({ shape: [1, 4], data: [6.3, 3.3, 6, 2.5] })],
    ['ok base64', tensor({ shape: [1, 4], dataBase64: b64([6.3, 3.3, 6, 2.5], 'f32') })],
    ['b64 too short', tensor({ shape: [1, 4], dataBase64: b64([1, 2, 3], 'f32') })],
    ['b64 too long', tensor({ shape: [1, 4], dataBase64: b64([1, 2, 3, 4, 5], 'f32') })],
    ['b64 f64 for f32', tensor({ shape: [1, 4], dataBase64: b64([1, 2, 3, 4], 'f64') })],
    ['b64 NaN', tensor({ shape: [1, 4], dataBase64: b64([NaN, 1, 2, 3], 'f32') })],
    ['b64 Inf', tensor({ shape: [1, 4], dataBase64: b64([Infinity, 1, 2, 3], 'f32') })],
    ['b64 -Inf', tensor({ shape: [1, 4], dataBase64: b64([-Infinity, 1, 2, 3], 'f32') })],
    ['b64 bad alphabet', tensor({ shape: [1, 4], dataBase64: '!!!!'.repeat(4) })],
    ['b64 url alphabet', tensor({ shape: [1, 4], dataBase64: Buffer.alloc(16, 0xfb).toString('base64url') })],
    ['b64 no padding', tensor({ shape: [1, 1], dataBase64: 'AAAAAA' })],
    ['b64 empty', tensor({ shape: [0, 4], dataBase64: '' })],
    ['b64 whitespace', tensor({ shape: [1, 4], dataBase64: ` ${b64([1, 2, 3, 4], 'f32')}\n` })],
    ['b64 1MB', tensor({ shape: [65536, 4], dataBase64: Buffer.alloc(65536 * 16).toString('base64') })],
    ['b64 and data', tensor({ shape: [1, 4], data: [1, 2, 3, 4], dataBase64: b64([1, 2, 3, 4], 'f32') })],
    ['neither', tensor({ shape: [1, 4] })],
    ['elementType int64', tensor({ shape: [1, 4], elementType: 'int64', data: [1, 2, 3, 4] })],
    ['elementType bogus', tensor({ shape: [1, 4], elementType: 'float128', data: [1, 2, 3, 4] })],
    ['elementType bool b64', tensor({ shape: [1, 4], elementType: 'bool', dataBase64: Buffer.from([0, 1, 2, 1]).toString('base64') })],
    ['NaN literal', '{"modelId":"' + ids.model + '","alias":"production","inputs":[{"name":"features","shape":[1,4],"data":[NaN,1,2,3]}]}'],
    ['Infinity literal', '{"modelId":"' + ids.model + '","alias":"production","inputs":[{"name":"features","shape":[1,4],"data":[Infinity,1,2,3]}]}'],
    ['1e309', '{"modelId":"' + ids.model + '","alias":"production","inputs":[{"name":"features","shape":[1,4],"data":[1e309,1,2,3]}]}'],
    ['3.5e38 f32 overflow', tensor({ shape: [1, 4], data: [3.5e38, 1, 2, 3] })],
    ['data strings', tensor({ shape: [1, 4], data: ['1', '2', '3', '4'] })],
    ['data nulls', tensor({ shape: [1, 4], data: [null, 1, 2, 3] })],
    ['data nested', tensor({ shape: [1, 4], data: [[1, 2], [3, 4]] })],
    ['shape negative', tensor({ shape: [-1, 4], data: [1, 2, 3, 4] })],
    ['shape zero', tensor({ shape: [0, 4], data: [] })],
    ['shape huge', tensor({ shape: [2 ** 31, 2 ** 31], data: [1, 2, 3, 4] })],
    ['shape 2^53', tensor({ shape: [2 ** 53, 4], data: [1, 2, 3, 4] })],
    ['shape float', tensor({ shape: [1.5, 4], data: [1, 2, 3, 4, 5, 6] })],
    ['shape rank 1', tensor({ shape: [4], data: [1, 2, 3, 4] })],
    ['shape rank 64', tensor({ shape: Array(64).fill(1), data: [1] })],
    ['shape empty', tensor({ shape: [], data: [1] })],
    ['shape 10000', tensor({ shape: Array(10_000).fill(1), data: [1] })],
    ['shape string', tensor({ shape: '1,4', data: [1, 2, 3, 4] })],
    ['1025 rows', tensor({ shape: [1025, 4], data: Array(4100).fill(1) })],
    ['100001 values', tensor({ shape: [1, 100_001], data: Array(100_001).fill(1) })],
    ['unknown input', { ...good, inputs: [{ name: 'nope', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['duplicate input', { ...good, inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }, { name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['no inputs', { ...good, inputs: [] }],
    ['10000 inputs', { ...good, inputs: Array(10_000).fill({ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }) }],
    ['inputs object', { ...good, inputs: { name: 'features' } }],
    ['foreign model', { modelId: foreignIds.model, alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['bad model id', { modelId: '../../x', alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['model name sql', { modelName: "' OR 1=1 --", alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['model name NUL', { modelName: 'iris\u0000', alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['model name 100KB', { modelName: big, alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['alias 100KB', { modelId: ids.model, alias: big, inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['version 2^53', { modelId: ids.model, version: 2 ** 53, inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['version -1', { modelId: ids.model, version: -1, inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['version 1.5', { modelId: ids.model, version: 1.5, inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['version and alias', { modelId: ids.model, version: 1, alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }],
    ['id and name', { modelId: ids.model, modelName: 'iris-classifier', alias: 'production', inputs: [] }],
    ['outputFormat bogus', { ...tensor({ shape: [1, 4], data: [1, 2, 3, 4] }), outputFormat: 'xml' }],
    ['outputFormat numbers', { ...tensor({ shape: [1, 4], data: [1, 2, 3, 4] }), outputFormat: 'numbers' }],
    ['unknown top field', { ...tensor({ shape: [1, 4], data: [1, 2, 3, 4] }), extra: 1 }],
    ['__proto__', '{"__proto__":{"polluted":1},"modelId":"' + ids.model + '","alias":"production","inputs":[{"name":"features","shape":[1,4],"data":[1,2,3,4]}]}'],
    ['constructor key', { ...tensor({ shape: [1, 4], data: [1, 2, 3, 4] }), constructor: { prototype: 1 } }],
    ['deep nesting', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
    ['deep array nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['array body', '[]'],
    ['null body', 'null'],
    ['string body', '"x"'],
    ['number body', '1e400'],
    ['not json', '{'],
    ['empty body', ''],
    ['duplicate keys', '{"modelId":"x","modelId":"' + ids.model + '","alias":"production","inputs":[{"name":"features","shape":[1,4],"data":[1,2,3,4]}]}'],
    ['lone surrogate', '{"modelName":"\\ud800","alias":"production","inputs":[]}'],
  ];
  for (const [name, body] of predictBodies) await send(`route POST /v1/predict ${name}`, predictUrl, post(token, body));
  await send('route POST /v1/predict text/plain', predictUrl, post(token, JSON.stringify(tensor({ shape: [1, 4], data: [1, 2, 3, 4] })), { 'content-type': 'text/plain' }));
  await send('route POST /v1/predict no token', predictUrl, post(undefined, tensor({ shape: [1, 4], data: [1, 2, 3, 4] })));
  await send('route POST /v1/predict charset latin1', predictUrl, post(token, JSON.stringify(tensor({ shape: [1, 4], data: [1, 2, 3, 4] })), { 'content-type': 'application/json; charset=latin1' }));
  await send('route POST /v1/predict 2MB', predictUrl, post(token, JSON.stringify({ x: 'a'.repeat(2_000_000) })));
  await send('route GET /v1/predict', predictUrl, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
  await send('route POST /v1/predict/../graphql', `${base}/v1/predict/..%2Fgraphql`, post(token, {}));

  // GET /graphql
  const getCases: Array<[string, string]> = [
    ['plain', `query=${encodeURIComponent('{ currentTenant { id } }')}`],
    ['mutation via GET', `query=${encodeURIComponent('mutation { removeAlertWebhook }')}`],
    ['bad variables', `query=${encodeURIComponent('query($id: ID!) { dataset(id: $id) { id } }')}&variables=%7B`],
    ['variables array', `query=${encodeURIComponent('query($id: ID!) { dataset(id: $id) { id } }')}&variables=%5B%5D`],
    ['extensions junk', `query=${encodeURIComponent('{ currentTenant { id } }')}&extensions=%7B%22persistedQuery%22%3A1%7D`],
    ['apq unknown', `extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } }))}`],
    ['apq bad hash', `extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: '../x' } }))}`],
    ['apq version 2', `extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 2, sha256Hash: 'a'.repeat(64) } }))}`],
    ['no query', ''],
    ['query twice', `query=${encodeURIComponent('{ currentTenant { id } }')}&query=x`],
    ['operationName unknown', `query=${encodeURIComponent('{ currentTenant { id } }')}&operationName=Nope`],
    ['percent junk', 'query=%E0%A4%A'],
    ['NUL', 'query=%00'],
    ['long query', `query=${'a'.repeat(8000)}`],
    ['deep selection', `query=${encodeURIComponent('{' + ' currentTenant {'.repeat(200) + ' id' + ' }'.repeat(201))}`],
  ];
  for (const [name, qs] of getCases) {
    await send(`route GET /graphql ${name}`, `${graphqlUrl}?${qs}`, { method: 'GET', headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
  }
  // POST /graphql body shapes
  const postBodies: Array<[string, string, string?]> = [
    ['array batch', JSON.stringify([{ query: '{ currentTenant { id } }' }, { query: '{ currentTenant { id } }' }])],
    ['batch 10000', JSON.stringify(Array(10_000).fill({ query: '{ __typename }' }))],
    ['query number', JSON.stringify({ query: 1 })],
    ['query null', JSON.stringify({ query: null })],
    ['variables string', JSON.stringify({ query: '{ __typename }', variables: 'x' })],
    ['operationName object', JSON.stringify({ query: '{ __typename }', operationName: {} })],
    ['1000 aliases', JSON.stringify({ query: `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: currentTenant { id }`).join(' ')} }` })],
    ['1000 fragments', JSON.stringify({ query: `{ ...F0 } ${Array.from({ length: 1000 }, (_, i) => `fragment F${i} on Query { ${i < 999 ? `...F${i + 1}` : '__typename'} }`).join(' ')}` })],
    ['fragment cycle', JSON.stringify({ query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' })],
    ['10000 directives', JSON.stringify({ query: `{ __typename ${'@skip(if: false) '.repeat(10_000)} }` })],
    ['deep list literal', JSON.stringify({ query: `{ dataset(id: ${'['.repeat(5000)}1${']'.repeat(5000)}) { id } }` })],
    ['deep object literal', JSON.stringify({ query: `mutation { createDataset(input: ${'{a:'.repeat(5000)}1${'}'.repeat(5000)}) { id } }` })],
    ['many tokens', JSON.stringify({ query: `{ __typename ${' '.repeat(900_000)} }` })],
    ['unicode escapes', JSON.stringify({ query: '{ dataset(id: "\\u0000\\uD800") { id } }' })],
    ['block string', JSON.stringify({ query: '{ dataset(id: """' + 'x'.repeat(50_000) + '""") { id } }' })],
    ['introspection deep', JSON.stringify({ query: `{ __schema { types { ${'fields { type { '.repeat(30)} name ${'} } '.repeat(30)} } } }` })],
    ['form body', 'query=%7B__typename%7D', 'application/x-www-form-urlencoded'],
    ['multipart', '--b\r\ncontent-disposition: form-data; name="operations"\r\n\r\n{}\r\n--b--', 'multipart/form-data; boundary=b'],
    ['graphql content type', '{ __typename }', 'application/graphql'],
  ];
  for (const [name, body, type] of postBodies) {
    await send(`route POST /graphql ${name}`, graphqlUrl, { method: 'POST', headers: { 'content-type': type ?? 'application/json', authorization: `Bearer ${token}` }, body });
  }

  // Uploads and downloads
  const datasetUpload = await gql(token, `mutation($i: CreateDatasetUploadInput!) { createDatasetUpload(input: $i) { id uploadUrl method } }`, {
    i: { datasetId: ids.dataset, filename: 'fuzz.csv', byteSize: 20, contentType: 'text/csv' },
  });
  const upload = datasetUpload.data?.createDatasetUpload as { id: string; uploadUrl: string; method: string } | undefined;
  const uploadPaths = [
    `/uploads/datasets/${randomUUID()}`,
    `/uploads/datasets/not-a-uuid`,
    `/uploads/datasets/..%2F..%2Fetc%2Fpasswd`,
    `/uploads/datasets/%00`,
    `/uploads/models/${randomUUID()}`,
    `/uploads/nothing/${randomUUID()}`,
    `/uploads/datasets/${'a'.repeat(5000)}`,
    `/uploads/datasets/`,
    `/uploads/`,
    `/uploads/datasets/${upload?.id ?? randomUUID()}/extra`,
  ];
  for (const path of uploadPaths) {
    await send(`route PUT ${path.slice(0, 80)}`, `${base}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
  }
  if (upload) {
    const url = upload.uploadUrl;
    const bodies: Array<[string, string | Buffer, Record<string, string>]> = [
      ['wrong size short', 'a,b\n1,2\n', {}],
      ['wrong size long', 'a,b\n' + '1,2\n'.repeat(100), {}],
      ['gzip', 'x'.repeat(20), { 'content-encoding': 'gzip' }],
      ['binary', Buffer.alloc(20, 0), {}],
      ['content-type json', '{"a":1}             ', { 'content-type': 'application/json' }],
    ];
    for (const [name, body, headers] of bodies) {
      await send(`route PUT upload ${name}`, url, { method: upload.method, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', ...headers }, body, duplex: 'half' } as RequestInit);
    }
    await send('route PUT upload foreign tenant', url, { method: upload.method, headers: { authorization: `Bearer ${otherToken}`, 'content-type': 'text/csv' }, body: 'a'.repeat(20) });
    await send('route PUT upload exact, then complete', url, { method: upload.method, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: '\u0000\u0001,\uD800\n' + 'x'.repeat(14) });
    await send('route complete garbage upload', graphqlUrl, post(token, { query: 'mutation($u: ID!) { completeDatasetUpload(uploadId: $u) { id rowCount } }', variables: { u: upload.id } }));
  }
  const downloads = [
    `/downloads/models/${ids.modelVersion}`,
    `/downloads/models/${foreignIds.modelVersion}`,
    `/downloads/models/${randomUUID()}`,
    `/downloads/models/not-a-uuid`,
    `/downloads/models/..%2F..%2Fetc%2Fpasswd`,
    `/downloads/models/%00`,
    `/downloads/datasets/${ids.datasetVersion}`,
    `/downloads/models/`,
    `/downloads/models/${ids.modelVersion}/x`,
    `/downloads/models/${'a'.repeat(5000)}`,
  ];
  for (const path of downloads) {
    await send(`route GET ${path.slice(0, 80)}`, `${base}${path}`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    await send(`route GET range ${path.slice(0, 60)}`, `${base}${path}`, { method: 'GET', headers: { authorization: `Bearer ${token}`, range: 'bytes=99999999-' } });
  }
  for (const path of ['/', '/nothing', '/graphql/../internal', '/internal/predict', '/_health', '/.well-known/x', '/%', `/${'a'.repeat(10_000)}`]) {
    await send(`route GET ${path.slice(0, 40)}`, `${base}${path}`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
  }
}

// ---------------------------------------------------------------------------------------------
// Subscriptions (graphql-transport-ws): each case subscribes on its own socket and reads the
// first answer (an error, or nothing within 2 s for a valid subscription).

async function subscribeOnce(name: string, bearer: string, query: string, variables: Record<string, unknown>): Promise<void> {
  const started = performance.now();
  const url = base.replace(/^http/, 'ws') + '/graphql';
  const outcome = await new Promise<{ status: number; text: string }>((resolve) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { ca: process.env.NODE_EXTRA_CA_CERTS ? readFileSync(process.env.NODE_EXTRA_CA_CERTS) : undefined });
    const done = (status: number, text: string) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.close();
      resolve({ status, text });
    };
    const timer = setTimeout(() => done(200, '{"pending":true}'), 2_000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${bearer}` } })));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      else if (message.type === 'error') done(200, JSON.stringify({ errors: message.payload }));
      else if (message.type === 'next') done(200, JSON.stringify(message.payload));
      else if (message.type === 'complete') done(200, '{"complete":true}');
    });
    ws.on('close', (code, reason) => done(code >= 4500 || code === 1011 ? 500 : 200, JSON.stringify({ errors: [{ message: `closed ${code} ${String(reason)}`, extensions: { code: `CLOSE_${code}` } }] })));
    ws.on('error', (error) => done(599, String(error)));
  });
  let body: unknown;
  try {
    body = JSON.parse(outcome.text);
  } catch {
    body = undefined;
  }
  record(name, outcome.status, performance.now() - started, body, outcome.text);
}

async function sweepSubscriptions(schema: GraphQLSchema, ids: Ids, foreign: string[]): Promise<void> {
  const root = schema.getSubscriptionType();
  if (!root) return;
  for (const field of Object.values(root.getFields())) {
    fieldsSwept.add(`subscription.${field.name}`);
    const doc = document('subscription' as 'query', field, field.args, schema);
    const baseVars: Record<string, unknown> = {};
    for (const a of field.args) baseVars[a.name] = baseline(field.name, a.name, a.type, ids);
    await subscribeOnce(`tenant-admin subscription ${field.name} baseline`, token, doc, baseVars);
    for (const a of field.args) {
      for (const value of edgesFor(a.type, foreign, a.name)) {
        const vars = { ...baseVars };
        if (value === undefined) delete vars[a.name];
        else vars[a.name] = value;
        await subscribeOnce(`tenant-admin subscription ${field.name} ${a.name}=${show(value)}`, token, doc, vars);
      }
    }
  }
}

function logSize(): number {
  try {
    return statSync(logFile).size;
  } catch {
    return 0;
  }
}

function logSince(offset: number): string[] {
  const size = logSize();
  if (size <= offset) return [];
  const fd = openSync(logFile, 'r');
  const buffer = Buffer.alloc(size - offset);
  readSync(fd, buffer, 0, buffer.length, offset);
  closeSync(fd);
  return buffer
    .toString('utf8')
    .split('\n')
    .filter((line) => /"level":"(error|fatal)"|exited|restart|crash|uncaught|unhandled|FATAL|heap out of memory/i.test(line));
}

/** Puts a throwaway tenant back in service: active, platform-default limits, a cost budget the sweep does not exhaust. */
async function restoreTenant(bearer: string | undefined, tenantId: string): Promise<void> {
  if (!bearer) return;
  const type = (await gql(bearer, '{ __type(name: "TenantLimitsInput") { inputFields { name } } }')).data?.__type;
  const limits: Record<string, unknown> = Object.fromEntries((type?.inputFields ?? []).map((f: { name: string }) => [f.name, null]));
  // Few jobs: a sweep's valid submissions must not load the shared workers other tenants use.
  Object.assign(limits, { costPerMinute: 10_000_000, costBurst: 10_000_000, maxConcurrentOperations: 100, maxConcurrentJobs: 1, maxQueuedJobs: 3 });
  await gql(bearer, 'mutation($id: ID!) { resumeTenant(id: $id) { id } }', { id: tenantId });
  const answer = await gql(bearer, 'mutation($id: ID!, $l: TenantLimitsInput!) { setTenantLimits(id: $id, limits: $l) { id } }', { id: tenantId, l: limits });
  if (answer.errors) console.error('restoring', tenantId, JSON.stringify(answer.errors));
}

async function main(): Promise<void> {
  const logStart = logSize();
  const intro = await gql(token, getIntrospectionQuery());
  if (!intro.data) throw new Error(`introspection failed: ${JSON.stringify(intro.errors)}`);
  const schema = buildClientSchema(intro.data as IntrospectionQuery);
  if (platformToken) {
    existingTenants = new Set(((await gql(platformToken, '{ tenants { id } }')).data?.tenants ?? []).map((t: { id: string }) => t.id));
  } else {
    existingTenants = new Set(['acme', 'globex']);
  }
  for (const t of opt('restore')?.split(',') ?? []) await restoreTenant(platformToken, t);
  const ids = await seed(token);
  const foreignIds = await seed(otherToken);
  const foreign = [foreignIds.dataset, foreignIds.datasetVersion, foreignIds.model, foreignIds.modelVersion, foreignIds.job, foreignIds.tenant].filter(
    (x): x is string => typeof x === 'string',
  );
  console.log('seeded', ids, 'foreign', foreignIds);
  allowedTenants = new Set([ids.tenant, foreignIds.tenant, 'fuzz-fz-prov']);
  if (![...allowedTenants].every((t) => t.startsWith('fuzz-'))) throw new Error('the sweep runs only in fuzz- tenants');

  if (!argv.includes('--routes-only')) await sweepFields(schema, token, 'tenant-admin', ids, foreign, (f) => !f.startsWith('__'));
  if (platformToken && !argv.includes('--routes-only')) {
    // As platform admin: only the platform's own fields, aimed at the other (throwaway) tenant.
    const platformIds: Ids = { ...foreignIds, dataset: randomUUID(), model: randomUUID(), datasetVersion: randomUUID(), modelVersion: randomUUID() };
    await sweepFields(schema, platformToken, 'platform-admin', platformIds, [], (f) => platformFields.has(f) && !platformOnlyNeverSend.has(f));
    await restoreTenant(platformToken, foreignIds.tenant);
  }
  if (!only) await sweepSubscriptions(schema, ids, foreign).catch((error) => findings.push({ kind: 'NETWORK', case: 'sweepSubscriptions aborted', detail: String(error) }));
  if (!only) await sweepRoutes(ids, foreignIds).catch((error) => findings.push({ kind: 'NETWORK', case: 'sweepRoutes aborted', detail: String(error) }));

  // The sweep's valid setUsageBudget calls leave budgets of 1 unit: take them away again.
  const meters = (await gql(token, '{ __type(name: "UsageMeter") { enumValues { name } } }')).data?.__type?.enumValues ?? [];
  for (const { name } of meters as Array<{ name: string }>) await gql(token, `mutation { removeUsageBudget(meter: ${name}) }`);
  await restoreTenant(platformToken, ids.tenant);

  for (const line of logSince(logStart)) findings.push({ kind: 'LOG', case: 'platform log', detail: line.slice(0, 600) });

  console.log(`\n${fieldsSwept.size} fields swept, ${cases} cases (${skipped.length} skipped: they named a tenant that is not a throwaway one)`);
  console.log('error codes:', Object.fromEntries([...codeCounts.entries()].sort((a, b) => b[1] - a[1])));
  const byKind = new Map<string, Finding[]>();
  for (const f of findings) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  for (const [kind, list] of byKind) {
    console.log(`\n== ${kind}: ${list.length}`);
    for (const f of list.slice(0, 60)) console.log(`- ${f.case} [${f.status ?? '-'} ${f.ms?.toFixed(0) ?? '-'} ms] ${f.detail}`);
  }
  const casesFile = opt('cases');
  if (casesFile) writeFileSync(casesFile, caseLog.join('\n') + '\n');
  const json = opt('json');
  if (json) writeFileSync(json, JSON.stringify({ fields: [...fieldsSwept], cases, codes: Object.fromEntries(codeCounts), findings }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

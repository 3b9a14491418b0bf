import { settleDeferredRecords } from '@tessera/audit-client';
import { buildLinearRegression } from '@tessera/onnx';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { buildClientSchema, getIntrospectionQuery, getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType, type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLSchema, type IntrospectionQuery } from 'graphql';

/**
 * The `auditor` role (roles from token claims here; ROLE_SOURCE=members is covered with the
 * members tests): the audit trail and the metadata to understand it, no data contents, no writes.
 * The sweeps below take every root field of the composed API from the gateway's own schema, so a
 * field added later without a rule for auditors is refused, and one granted by mistake fails here.
 */

/** Root query fields an auditor may run: the audit trail and metadata. Everything else is FORBIDDEN. */
const auditorQueries = new Set([
  'auditEvents',
  'accessReport',
  'alerts',
  'alertRules',
  'alertWebhook',
  'verifyAuditChain',
  'auditCheckpoints',
  'auditSigningKeys',
  'accessReviews',
  'accessReview',
  'accessReviewSchedule',
  'datasets',
  'dataset',
  'datasetVersion',
  'models',
  'model',
  'modelByName',
  'modelVersion',
  'currentTenant',
  // Who the caller is and its roles: any signed-in caller's own.
  'me',
  'members',
  'serviceAccounts',
]);
/** The one mutation: an export is a copy of what the auditor may read, into the tenant's own bucket. */
const auditorMutations = new Set(['exportAuditEvents']);

const createDataset = 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }';
const createDatasetUpload = 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }';
const completeDatasetUpload = 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id number } }';
const createModel = 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }';
const createModelUpload = 'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }';
const completeModelUpload = 'mutation($id: ID!) { completeModelUpload(uploadId: $id) { id number } }';
const createServiceAccount = 'mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id role } }';
const createApiKey = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id role } } }';
const runReview = 'mutation($period: String) { runAccessReview(period: $period) { id period } }';

const datasetMetadata = `query($id: ID!) { dataset(id: $id) { id name versionCount latestVersion { id number rowCount byteSize sha256 columns { name type nullable nullCount } } } }`;
const datasetPreview = 'query($id: ID!) { datasetVersion(id: $id) { preview(limit: 2) { rows } } }';
const modelMetadata = `query($id: ID!) { model(id: $id) { id name versions { edges { node { id number irVersion inputs { name elementType shape { size symbol } } } } } } }`;
const modelDownloadUrl = 'query($id: ID!) { modelVersion(id: $id) { downloadUrl } }';
const predict = 'query($input: PredictInput!) { predict(input: $input) { outputs { data } } }';
const auditEvents = 'query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) { edges { node { action actorSubject actorRoles targetId } } } }';
const accessReport = `query($from: DateTime!, $to: DateTime!) { accessReport(from: $from, to: $to) { roleHolders { subject roles } members { subject role } serviceAccounts { name role } } }`;
const reviews = '{ accessReviews { edges { node { id period } } } }';
const reviewContent = 'query($id: ID!) { accessReview(id: $id) { id period content staleAccess { principalId } } }';

const csv = Buffer.from('a,b\n1,2\n3,4\n');

async function put(url: string, token: string, body: Uint8Array, contentType: string): Promise<void> {
  const response = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body: Buffer.from(body) });
  if (response.status !== 200) throw new Error(`upload failed: ${response.status} ${await response.text()}`);
}

/** A value of `type` that passes GraphQL validation; the rule (or the resolver) decides the rest. */
function sampleValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sampleValue(type.ofType);
  if (isListType(type)) return [sampleValue(type.ofType as GraphQLInputType)];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields()).filter((field) => isNonNullType(field.type)).map((field) => [field.name, sampleValue(field.type)]));
  }
  if (isScalarType(type)) {
    if (type.name === 'Int') return 1;
    if (type.name === 'Float') return 1;
    if (type.name === 'Boolean') return true;
    if (type.name === 'ID') return '00000000-0000-4000-8000-000000000000';
    if (type.name === 'DateTime') return '2020-01-01T00:00:00Z';
    return 'x';
  }
  throw new Error(`no sample for ${String(type)}`);
}

/** `field(required args…) { __typename }` as an operation of `kind`, with its variables. */
function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): { document: string; variables: Record<string, unknown> } {
  const required = field.args.filter((arg: GraphQLArgument) => isNonNullType(arg.type));
  const declarations = required.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const call = required.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
  return {
    document: `${kind}${declarations ? `(${declarations})` : ''} { ${field.name}${call ? `(${call})` : ''}${selection} }`,
    variables: Object.fromEntries(required.map((arg) => [arg.name, sampleValue(arg.type)])),
  };
}

describe('the auditor role', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let admin: string;
  let auditor: string;
  let globexAuditor: string;
  let schema: GraphQLSchema;
  const ids = { dataset: '', datasetVersion: '', model: '', modelVersion: '', review: '' };

  beforeAll(async () => {
    stack = await startTestStack();
    // The sweeps send a hundred operations at once: enough budget that none is rate limited.
    const limits = { costPerMinute: 1_000_000, costBurst: 1_000_000 };
    acme = await stack.createTenant({ limits });
    globex = await stack.createTenant({ limits });
    admin = await acme.token('admin');
    auditor = await acme.token('auditor');
    globexAuditor = await globex.token('auditor');

    ids.dataset = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(admin, createDataset, { input: { name: 'customers' } })).createDataset.id;
    const upload = expectNoErrors(await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(admin, createDatasetUpload, { input: { datasetId: ids.dataset, filename: 'c.csv', byteSize: csv.length } })).createDatasetUpload;
    await put(upload.uploadUrl, admin, csv, 'text/csv');
    ids.datasetVersion = expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(admin, completeDatasetUpload, { id: upload.id })).completeDatasetUpload.id;

    const onnx = buildLinearRegression({ weights: [1, 2], bias: 0.5 });
    ids.model = expectNoErrors(await stack.query<{ createModel: { id: string } }>(admin, createModel, { input: { name: 'scorer' } })).createModel.id;
    const modelUpload = expectNoErrors(await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(admin, createModelUpload, { input: { modelId: ids.model, filename: 's.onnx', byteSize: onnx.length } })).createModelUpload;
    await put(modelUpload.uploadUrl, admin, onnx, 'application/octet-stream');
    ids.modelVersion = expectNoErrors(await stack.query<{ completeModelUpload: { id: string } }>(admin, completeModelUpload, { id: modelUpload.id })).completeModelUpload.id;

    const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
    ids.review = expectNoErrors(await stack.query<{ runAccessReview: { id: string } }>(admin, runReview, { period: lastMonth })).runAccessReview.id;

    const introspection = expectNoErrors(await stack.query<IntrospectionQuery>(admin, getIntrospectionQuery()));
    schema = buildClientSchema(introspection);
  }, 180_000);
  afterAll(() => stack?.stop());

  it('reads the audit trail, its verification, checkpoints, alerts, access report and reviews, and exports it', async () => {
    const events = expectNoErrors(await stack.query<{ auditEvents: { edges: Array<{ node: { action: string } }> } }>(auditor, auditEvents, {})).auditEvents.edges.map((e) => e.node.action);
    expect(events).toEqual(expect.arrayContaining(['dataset.create', 'model.create', 'access_review.write']));
    expect(errorCodes(await stack.query(auditor, '{ verifyAuditChain { valid checkedEvents } auditCheckpoints { sequence } auditSigningKeys { keyId } alerts { id } alertRules { kind threshold } accessReviewSchedule { interval } }'))).toEqual([]);
    const verified = expectNoErrors(await stack.query<{ verifyAuditChain: { valid: boolean } }>(auditor, '{ verifyAuditChain { valid } }')).verifyAuditChain;
    expect(verified.valid).toBe(true);

    const listed = expectNoErrors(await stack.query<{ accessReviews: { edges: Array<{ node: { id: string } }> } }>(auditor, reviews)).accessReviews.edges.map((e) => e.node.id);
    expect(listed).toEqual([ids.review]);
    const review = expectNoErrors(await stack.query<{ accessReview: { content: string } }>(auditor, reviewContent, { id: ids.review })).accessReview;
    expect(JSON.parse(review.content)).toMatchObject({ format: 'tessera.access-review/v1', tenantId: acme.id });

    const exported = await stack.query<{ exportAuditEvents: { objectKey: string } }>(auditor, 'mutation($from: DateTime!, $to: DateTime!) { exportAuditEvents(from: $from, to: $to) { objectKey } }', {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date().toISOString(),
    });
    expect(errorCodes(exported)).toEqual([]);

    // The access report shows the auditor as what it is: a principal holding `auditor`, whose reads are in the trail.
    const report = expectNoErrors(
      await stack.query<{ accessReport: { roleHolders: Array<{ subject: string; roles: string[] }> } }>(auditor, accessReport, { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() }),
    ).accessReport;
    expect(report.roleHolders.filter((holder) => holder.roles.includes('auditor')).length).toBeGreaterThan(0);
    await stack.drainAudit(acme.id);
    const byAuditor = (await stack.adminQuery<Array<{ action: string; actor_roles: string }>>(`SELECT action, actor_roles FROM \`${acme.schema}\`.audit_events WHERE actor_roles = 'auditor' ORDER BY seq`)).map((e) => e.action);
    expect(byAuditor).toEqual(expect.arrayContaining(['access_review.read', 'audit.export']));
  });

  it('reads the metadata behind the events, never the contents: no preview, prediction or download', async () => {
    const dataset = expectNoErrors(await stack.query<{ dataset: { name: string; latestVersion: { rowCount: number; columns: Array<{ name: string }> } } }>(auditor, datasetMetadata, { id: ids.dataset })).dataset;
    expect(dataset).toMatchObject({ name: 'customers', latestVersion: { rowCount: 2, columns: [{ name: 'a' }, { name: 'b' }] } });
    const model = expectNoErrors(await stack.query<{ model: { name: string; versions: { edges: unknown[] } } }>(auditor, modelMetadata, { id: ids.model })).model;
    expect(model.name).toBe('scorer');
    expect(model.versions.edges).toHaveLength(1);

    expect(errorCodes(await stack.query(auditor, datasetPreview, { id: ids.datasetVersion }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(auditor, modelDownloadUrl, { id: ids.modelVersion }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(auditor, predict, { input: { modelId: ids.model, version: 1, inputs: [{ name: 'input', shape: [1, 2], data: [1, 1] }] } }))).toEqual(['FORBIDDEN']);
    const download = await fetch(`${stack.gatewayUrl}/downloads/models/${ids.modelVersion}`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(download.status).toBe(403);
    expect(((await download.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('FORBIDDEN');
    // The same content reads work for a viewer: the refusals above are the auditor's.
    const viewer = await acme.token('viewer');
    expect(errorCodes(await stack.query(viewer, datasetPreview, { id: ids.datasetVersion }))).toEqual([]);
    expect(errorCodes(await stack.query(viewer, predict, { input: { modelId: ids.model, version: 1, inputs: [{ name: 'input', shape: [1, 2], data: [1, 1] }] } }))).toEqual([]);
  });

  it('every root query outside its list is FORBIDDEN, and the ones on it are not', async () => {
    const fields = Object.values(schema.getQueryType()!.getFields());
    expect(fields.length).toBeGreaterThan(30);
    const outcomes = await Promise.all(
      fields.map(async (field) => {
        const { document, variables } = operationFor('query', field);
        const codes = errorCodes(await stack.query(auditor, document, variables));
        return { field: field.name, forbidden: codes.includes('FORBIDDEN'), codes };
      }),
    );
    const wrong = outcomes.filter((o) => o.forbidden === auditorQueries.has(o.field));
    expect(wrong).toEqual([]);
    // Every listed field exists (a rename would otherwise pass unnoticed).
    for (const name of auditorQueries) expect(fields.map((f) => f.name)).toContain(name);
  });

  it('every mutation but the audit export is FORBIDDEN, and nothing changes', async () => {
    const fields = Object.values(schema.getMutationType()!.getFields());
    expect(fields.length).toBeGreaterThan(40);
    const before = await stack.adminQuery<Array<{ n: number }>>(`SELECT (SELECT COUNT(*) FROM \`${acme.schema}\`.datasets) + (SELECT COUNT(*) FROM \`${acme.schema}\`.models) AS n`);
    const outcomes = await Promise.all(
      fields
        .filter((field) => !auditorMutations.has(field.name))
        .map(async (field) => {
          const { document, variables } = operationFor('mutation', field);
          const response: GraphQLResponse = await stack.query(auditor, document, variables);
          return { field: field.name, codes: errorCodes(response), data: response.data };
        }),
    );
    expect(outcomes.filter((o) => o.codes.join() !== 'FORBIDDEN')).toEqual([]);
    const after = await stack.adminQuery<Array<{ n: number }>>(`SELECT (SELECT COUNT(*) FROM \`${acme.schema}\`.datasets) + (SELECT COUNT(*) FROM \`${acme.schema}\`.models) AS n`);
    expect(after).toEqual(before);
    // Refusals are audited as the auditor's.
    await stack.drainAudit(acme.id);
    const denied = await stack.adminQuery<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM \`${acme.schema}\`.audit_events WHERE action = 'access.denied' AND actor_roles = 'auditor'`);
    expect(Number(denied[0]!.n)).toBeGreaterThanOrEqual(outcomes.length);
  });

  it("an auditor of globex sees nothing of acme's", async () => {
    expect(errorCodes(await stack.query(globexAuditor, reviewContent, { id: ids.review }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(globexAuditor, datasetMetadata, { id: ids.dataset }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(globexAuditor, modelMetadata, { id: ids.model }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(globexAuditor, 'query($t: ID) { members(tenantId: $t) { id } }', { t: acme.id }))).toEqual(['NOT_FOUND']);
    // Globex's trail names acme's ids only in its own refused attempts; acme's events are not there.
    await settleDeferredRecords(); // those are written just after their answers
    const events = expectNoErrors(await stack.query<{ auditEvents: { edges: Array<{ node: { action: string; targetId: string | null } }> } }>(globexAuditor, auditEvents, {})).auditEvents.edges.map((e) => e.node);
    expect(events.filter((e) => e.targetId === ids.dataset || e.targetId === ids.review).map((e) => e.action)).toEqual(['cross_tenant_attempt', 'cross_tenant_attempt']);
    expect(events.map((e) => e.action)).not.toEqual(expect.arrayContaining(['dataset.create']));
    expect(expectNoErrors(await stack.query<{ accessReviews: { edges: unknown[] } }>(globexAuditor, reviews)).accessReviews.edges).toEqual([]);
    expect(expectNoErrors(await stack.query<{ datasets: { edges: unknown[] } }>(globexAuditor, '{ datasets { edges { node { id } } } }')).datasets.edges).toEqual([]);
    // The cross-tenant attempts are in globex's log, as the auditor's.
    await stack.drainAudit(globex.id);
    const attempts = await stack.adminQuery<Array<{ target_id: string }>>(`SELECT target_id FROM \`${globex.schema}\`.audit_events WHERE action = 'cross_tenant_attempt' AND actor_roles = 'auditor'`);
    expect(attempts.map((a) => a.target_id)).toEqual(expect.arrayContaining([ids.review, ids.dataset]));
  });

  it('an API key with the auditor role reads the trail and nothing else; only an account that includes auditor may mint one', async () => {
    const account = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, createServiceAccount, { input: { name: 'siem-export', role: 'AUDITOR' } })).createServiceAccount.id;
    const key = expectNoErrors(await stack.query<{ createApiKey: { secret: string; apiKey: { role: string } } }>(admin, createApiKey, { input: { serviceAccountId: account } })).createApiKey;
    expect(key.apiKey.role).toBe('AUDITOR');
    expect(errorCodes(await stack.query(key.secret, auditEvents, {}))).toEqual([]);
    expect(errorCodes(await stack.query(key.secret, datasetMetadata, { id: ids.dataset }))).toEqual([]);
    expect(errorCodes(await stack.query(key.secret, datasetPreview, { id: ids.datasetVersion }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(key.secret, createDataset, { input: { name: 'by-key' } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(key.secret, '{ members { id } }'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(key.secret, reviewContent, { id: ids.review }))).toEqual([]);
    await stack.drainAudit(acme.id);
    const read = await stack.adminQuery<Array<{ actor_subject: string; actor_client: string }>>(`SELECT actor_subject, actor_client FROM \`${acme.schema}\`.audit_events WHERE action = 'access_review.read' AND actor_roles = 'auditor' AND actor_client LIKE 'api-key:%'`);
    expect(read).toEqual([{ actor_subject: `service-account:${account}`, actor_client: expect.stringMatching(/^api-key:[0-9a-f]{16}$/) }]);

    // An auditor account cannot hold a viewer's key (auditor is no rung above viewer), nor a viewer account an auditor's; an admin account can.
    expect(errorCodes(await stack.query(admin, createApiKey, { input: { serviceAccountId: account, role: 'VIEWER' } }))).toEqual(['BAD_USER_INPUT']);
    const viewerAccount = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, createServiceAccount, { input: { name: 'dashboards', role: 'VIEWER' } })).createServiceAccount.id;
    expect(errorCodes(await stack.query(admin, createApiKey, { input: { serviceAccountId: viewerAccount, role: 'AUDITOR' } }))).toEqual(['BAD_USER_INPUT']);
    const adminAccount = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, createServiceAccount, { input: { name: 'ops', role: 'ADMIN' } })).createServiceAccount.id;
    const narrowed = expectNoErrors(await stack.query<{ createApiKey: { secret: string; apiKey: { role: string } } }>(admin, createApiKey, { input: { serviceAccountId: adminAccount, role: 'AUDITOR' } })).createApiKey;
    expect(narrowed.apiKey.role).toBe('AUDITOR');
    expect(errorCodes(await stack.query(narrowed.secret, createDataset, { input: { name: 'by-narrowed-key' } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(narrowed.secret, auditEvents, {}))).toEqual([]);
    // And the auditor itself can mint nothing.
    expect(errorCodes(await stack.query(auditor, createApiKey, { input: { serviceAccountId: account } }))).toEqual(['FORBIDDEN']);
  });
});

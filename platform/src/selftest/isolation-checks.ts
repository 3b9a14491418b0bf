/**
 * Tenant B against tenant A's resources: every probe of the schema walk as B (queries with A's
 * own call first as a control), A's resources re-read afterwards, subscriptions, and the upload and
 * download routes.
 */
import { createHash } from 'node:crypto';
import { buildClientSchema, getIntrospectionQuery, buildSchema, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { gql, type SelftestContext } from './context';
import { errorCodes, sendHttp, type GraphQLAnswer } from './http-client';
import { probesForSchema, type Probe } from './schema-walk';
import { snapshotTenantA, type TenantAResources } from './fixtures';
import { subscribeOnce } from './ws-client';

/** The gateway's schema as tenant B sees it; `--schema <file>` (SDL) where introspection is off. */
export async function loadSchema(context: SelftestContext, sdl: string | undefined): Promise<GraphQLSchema | undefined> {
  if (sdl !== undefined) {
    context.log.pass('schema.source', 'SDL file given with --schema (introspection not used)');
    return buildSchema(sdl);
  }
  const answer = await gql<IntrospectionQuery>(context, context.b, getIntrospectionQuery({ descriptions: false }));
  if (!answer.data || answer.errors?.length) {
    context.log.fail('schema.source', `introspection as tenant B refused (${errorCodes(answer).join(', ') || `HTTP ${answer.status}`}): give the published SDL with --schema <file>`);
    return undefined;
  }
  const schema = buildClientSchema(answer.data);
  const count = (type: { getFields(): object } | null | undefined) => (type ? Object.keys(type.getFields()).length : 0);
  context.log.pass('schema.source', `introspection as tenant B: ${count(schema.getQueryType())} queries, ${count(schema.getMutationType())} mutations, ${count(schema.getSubscriptionType())} subscriptions`);
  return schema;
}

function markersOf(resources: TenantAResources): string[] {
  return [...Object.values(resources.ids).filter((id): id is string => typeof id === 'string' && id.length > 0), resources.name, resources.datasetSha256, resources.modelSha256].filter(
    (marker): marker is string => typeof marker === 'string' && marker.length >= 6,
  );
}

/** A's markers in what B received: any in `data`; in error messages, only those B did not send itself. */
export function leakedMarkers(answer: { data?: unknown; errors?: Array<{ message: string }> | undefined }, markers: string[], sent: unknown): string[] {
  const data = JSON.stringify(answer.data ?? null);
  const messages = JSON.stringify((answer.errors ?? []).map((error) => error.message));
  const request = JSON.stringify(sent);
  return markers.filter((marker) => data.includes(marker) || (messages.includes(marker) && !request.includes(marker)));
}

/** Codes that mean "refused before reaching anything": what B should get for A's ids. */
const refusals = new Set(['NOT_FOUND', 'FORBIDDEN', 'BAD_USER_INPUT', 'CONFLICT', 'UNAUTHENTICATED', 'QUOTA_EXCEEDED']);

function judge(probe: Probe, answer: GraphQLAnswer, markers: string[]): { ok: boolean; detail: string } {
  const leaked = leakedMarkers(answer, markers, probe.variables);
  if (leaked.length > 0) return { ok: false, detail: `tenant B received tenant A's ${leaked.join(', ')}: ${answer.raw.slice(0, 300)}` };
  const codes = errorCodes(answer);
  const value = answer.data ? (answer.data as Record<string, unknown>)[probe.field] : null;
  const unexpected = codes.filter((code) => !refusals.has(code));
  if (unexpected.length > 0) return { ok: false, detail: `unexpected ${unexpected.join(', ')} (HTTP ${answer.status}): ${answer.raw.slice(0, 300)}` };
  if (codes.length > 0) return { ok: true, detail: `refused: ${[...new Set(codes)].join(', ')}` };
  if (value === null || value === undefined) return { ok: true, detail: 'null' };
  return { ok: true, detail: probe.targetsForeign ? 'answered without any of tenant A\'s data' : 'no id or name of tenant A listed' };
}

async function inBatches<T, R>(items: T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await Promise.all(items.slice(start, start + size).map(run))));
  return results;
}

export async function probeIsolation(context: SelftestContext, schema: GraphQLSchema, resources: TenantAResources): Promise<void> {
  const markers = markersOf(resources);
  const probes = probesForSchema(schema, resources);
  const before = await snapshotTenantA(context, resources);
  // Four at a time (a tenant's default operation slots); results are logged in schema order.
  const queryVerdicts = await inBatches(probes.filter((p) => p.operation === 'query'), 4, async (probe) => {
    // A's own call first: where A sees its data, B's refusal of the same call means something.
    const control = probe.targetsForeign ? await gql(context, context.a, probe.document, probe.variables) : undefined;
    const controlSaw = control ? leakedMarkers({ data: control.data }, markers, {}).length > 0 : false;
    const verdict = judge(probe, await gql(context, context.b, probe.document, probe.variables), markers);
    return { probe, ok: verdict.ok, detail: `${verdict.detail}${control ? (controlSaw ? " (tenant A's same call returns its data)" : " (tenant A's same call returns none either)") : ''}` };
  });
  for (const { probe, ok, detail } of queryVerdicts) context.log.expect(`isolation.query.${probe.label}`, ok, detail);
  const mutationVerdicts = await inBatches(probes.filter((p) => p.operation === 'mutation'), 4, async (probe) => ({ probe, ...judge(probe, await gql(context, context.b, probe.document, probe.variables), markers) }));
  for (const { probe, ok, detail } of mutationVerdicts) context.log.expect(`isolation.mutation.${probe.label}`, ok, detail);
  const after = await snapshotTenantA(context, resources);
  context.log.expect('isolation.tenant-a-unchanged', before === after, before === after ? "tenant A's dataset, model, aliases, serving, job and tenant record read back unchanged" : `changed:\n  before ${before}\n  after  ${after}`);

  for (const probe of probes.filter((p) => p.operation === 'subscription')) {
    const outcome = await subscribeOnce(context.wsUrl, context.b.secret, probe.document, probe.variables, { ca: context.transport.ca, windowMs: context.subscriptionWindowMs });
    const leaked = outcome.events.flatMap((event) => leakedMarkers(event as { data?: unknown }, markers, probe.variables));
    const codes = outcome.errors.map((error) => String(error.extensions?.code ?? 'NO_CODE'));
    const ok = leaked.length === 0 && outcome.acknowledged;
    context.log.expect(
      `isolation.subscription.${probe.label}`,
      ok,
      !outcome.acknowledged
        ? `connection_init refused for tenant B (close ${outcome.closeCode ?? '-'} ${outcome.closeReason ?? ''}): nothing proven`
        : leaked.length
          ? `tenant B received tenant A's ${[...new Set(leaked)].join(', ')}`
          : codes.length
            ? `refused: ${[...new Set(codes)].join(', ')}`
            : `no event of tenant A within ${context.subscriptionWindowMs} ms`,
    );
  }
}

/**
 * B listens to every job event of its tenant while A's job changes (A cancels it); A listens too,
 * as the control that the change really produced an event.
 */
export async function probeJobEvents(context: SelftestContext, resources: TenantAResources): Promise<void> {
  const jobId = resources.ids.job;
  if (!jobId) {
    context.log.skip('isolation.subscription.jobEvents-while-a-changes', 'no job created (--no-job)');
    return;
  }
  const query = 'subscription { jobEvents { jobId status } }';
  const change = async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await gql(context, context.a, 'mutation($id: ID!) { cancelJob(id: $id) { id } }', { id: jobId });
  };
  const [asB, asA] = await Promise.all([
    subscribeOnce(context.wsUrl, context.b.secret, query, {}, { ca: context.transport.ca, windowMs: context.subscriptionWindowMs + 1_000 }),
    subscribeOnce(context.wsUrl, context.a.secret, query, {}, { ca: context.transport.ca, windowMs: context.subscriptionWindowMs + 1_000, whileOpen: change }),
  ]);
  const seenByB = JSON.stringify(asB.events).includes(jobId);
  const seenByA = JSON.stringify(asA.events).includes(jobId);
  context.log.expect(
    'isolation.subscription.jobEvents-while-a-changes',
    !seenByB && asB.acknowledged,
    seenByB ? `tenant B received an event of tenant A's job ${jobId}` : `tenant B received no event of tenant A's job${seenByA ? ' (tenant A received its own)' : ' (tenant A saw none either: the job had already finished)'}`,
  );
}

/** The gateway's upload and download routes with B's credential on A's URLs (and with none). */
export async function probeTransfers(context: SelftestContext, resources: TenantAResources): Promise<void> {
  const bearer = (secret: string | undefined): Record<string, string> => (secret ? { authorization: `Bearer ${secret}` } : {});
  if (resources.modelDownloadUrl) {
    const url = resources.modelDownloadUrl;
    const asA = await sendHttp(url, { method: 'GET', headers: bearer(context.a.secret) }, context.transport);
    const controlOk = asA.status === 200 && createHash('sha256').update(asA.body).digest('hex') === resources.modelSha256;
    for (const [who, secret] of [['tenant-b', context.b.secret], ['no-token', undefined]] as const) {
      const answer = await sendHttp(url, { method: 'GET', headers: bearer(secret) }, context.transport);
      const leaked = answer.status < 300 || (resources.modelSha256 !== undefined && createHash('sha256').update(answer.body).digest('hex') === resources.modelSha256);
      context.log.expect(
        `isolation.download.${who}`,
        !leaked && answer.status >= 400,
        `${leaked ? 'served tenant A\'s model file' : 'refused'}: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 120)}${controlOk ? ' (tenant A downloads it: HTTP 200, same SHA-256)' : ` (tenant A's own download: HTTP ${asA.status})`}`,
      );
    }
  } else {
    context.log.skip('isolation.download.tenant-b', 'no model version was created');
  }
  if (resources.spareUploadUrl) {
    // Exactly the size A reserved, so only the caller can be why it is refused.
    const body = 'x,y\n1,2\n2,4\n3,6\n4,8\n';
    for (const [who, secret] of [['tenant-b', context.b.secret], ['no-token', undefined]] as const) {
      const answer = await sendHttp(resources.spareUploadUrl, { method: 'PUT', headers: { ...bearer(secret), 'content-type': 'text/csv' }, body }, context.transport);
      context.log.expect(`isolation.upload.${who}`, answer.status >= 400, `HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 120)}`);
    }
  } else {
    context.log.skip('isolation.upload.tenant-b', 'no spare upload was reserved');
  }
}

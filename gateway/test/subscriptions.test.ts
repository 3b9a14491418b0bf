import { decodeJwt } from 'jose';
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { generateKeyPair, SignJWT } from 'jose';
import { startTelemetry } from '@tessera/telemetry';
import { createEventBus, type EventBus, type JobEventPayload } from '@tessera/events';
import { quoteIdentifier } from '@tessera/tenancy';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import type { RunningGateway } from '../src/server';
import { resignWithForeignKey } from './support';
import { CollectedSubscription, connectSubscriptions, sleep, startExtraGateway, type TestSubscriptionClient } from './subscriptions-support';

jest.setTimeout(60_000);

const jobEventsSubscription = 'subscription { jobEvents { jobId kind status progress phase metrics { name value } error { code message } occurredAt } }';
const jobProgressSubscription =
  'subscription P($jobId: ID!) { jobProgress(jobId: $jobId) { jobId status progress phase metrics { name value } error { code message } } }';

type JobEventsData = { jobEvents: { jobId: string; status: string; progress: number } };
type JobProgressData = { jobProgress: { jobId: string; status: string; progress: number; phase: string | null; metrics: Array<{ name: string; value: number }> | null } };

function jobEvent(jobId: string, status: JobEventPayload['status'], progress: number, extra: Partial<JobEventPayload> = {}): JobEventPayload {
  return { jobId, kind: 'TRAIN', status, progress, phase: null, metrics: null, error: null, occurredAt: new Date().toISOString(), ...extra };
}

/** A job row in the tenant's own schema, written straight to MySQL (the jobs API is another part of the work). */
async function insertJob(stack: TestStack, tenant: TestTenant, status = 'QUEUED'): Promise<string> {
  const id = randomUUID();
  await stack.platform.runtime.db.query(
    `INSERT INTO ${quoteIdentifier(tenant.schema)}.jobs (id, kind, status, input_json, progress, phase, attempts, created_by, created_at, updated_at)
     VALUES (?, 'TRAIN', ?, '{}', 0, NULL, 0, 'test', NOW(3), NOW(3))`,
    [id, status],
  );
  return id;
}

describe('subscriptions through the gateway (graphql-ws)', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let bus: EventBus; // publishes exactly as the worker does
  let redis: Redis;
  const clients: TestSubscriptionClient[] = [];

  const connect = (params: Record<string, unknown> | undefined, url = stack.graphqlUrl, tls?: Parameters<typeof connectSubscriptions>[3]) => {
    const connection = connectSubscriptions(url, params, undefined, tls);
    clients.push(connection);
    return connection;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const channelOf = (tenant: TestTenant) => `${stack.config.redis.keyPrefix}:tenant:${tenant.id}:jobs`;
  const subscribersOf = async (tenant: TestTenant) => Number(((await redis.pubsub('NUMSUB', channelOf(tenant))) as [string, number])[1]);

  /** Publishes a marker until the subscription sees it: from then on, nothing published is missed. */
  async function untilLive(subscription: CollectedSubscription<JobEventsData>, tenant: TestTenant): Promise<void> {
    const marker = `00000000-0000-4000-8000-${randomUUID().slice(-12)}`;
    const seen = () => subscription.results.some((r) => r.data?.jobEvents.jobId === marker);
    while (!seen()) {
      await bus.publish(tenant.id, 'jobs', jobEvent(marker, 'QUEUED', 0));
      await Promise.race([subscription.until(seen), sleep(100)]);
    }
    subscription.results.length = 0;
  }

  beforeAll(async () => {
    stack = await startTestStack();
    [acme, globex] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    bus = createEventBus(stack.config.redis);
    redis = new Redis(stack.config.redis.url);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await bus?.close();
    redis?.disconnect();
    await stack?.stop();
  });

  it('a viewer receives its tenant\'s job events, and never the other tenant\'s while both publish concurrently', async () => {
    const a = connect(bearer(await acme.token('viewer')));
    const b = connect(bearer(await globex.token('viewer')));
    const acmeStream = new CollectedSubscription<JobEventsData>(a.client, { query: jobEventsSubscription });
    const globexStream = new CollectedSubscription<JobEventsData>(b.client, { query: jobEventsSubscription });
    await untilLive(acmeStream, acme);
    await untilLive(globexStream, globex);

    const acmeJob = randomUUID();
    const globexJob = randomUUID();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        Promise.all([bus.publish(acme.id, 'jobs', jobEvent(acmeJob, 'RUNNING', i)), bus.publish(globex.id, 'jobs', jobEvent(globexJob, 'RUNNING', i))]),
      ),
    );
    await bus.publish(acme.id, 'jobs', jobEvent(acmeJob, 'SUCCEEDED', 100, { metrics: { loss: 0.25 } }));
    await bus.publish(globex.id, 'jobs', jobEvent(globexJob, 'SUCCEEDED', 100));

    const done = (results: typeof acmeStream.results) => results.some((r) => r.data?.jobEvents.status === 'SUCCEEDED');
    const acmeResults = await acmeStream.until(done);
    const globexResults = await globexStream.until(done);
    expect(acmeResults.every((r) => r.errors === undefined)).toBe(true);
    expect(new Set(acmeResults.map((r) => r.data?.jobEvents.jobId))).toEqual(new Set([acmeJob]));
    expect(new Set(globexResults.map((r) => r.data?.jobEvents.jobId))).toEqual(new Set([globexJob]));
    // One publisher connection, so each tenant's events arrive in publish order.
    expect(acmeResults.map((r) => r.data?.jobEvents.progress)).toEqual([...Array(25).keys(), 100]);
    expect(globexResults.map((r) => r.data?.jobEvents.progress)).toEqual([...Array(25).keys(), 100]);
    expect(acmeResults.at(-1)?.data).toEqual({
      jobEvents: expect.objectContaining({ jobId: acmeJob, kind: 'TRAIN', status: 'SUCCEEDED', progress: 100, metrics: [{ name: 'loss', value: 0.25 }], error: null }),
    });
  });

  it('jobProgress sends the job\'s current state, then only that job\'s events, and completes after a terminal status', async () => {
    const jobId = await insertJob(stack, acme);
    const otherJob = await insertJob(stack, acme);
    const a = connect(bearer(await acme.token('data_scientist')));
    const progress = new CollectedSubscription<JobProgressData>(a.client, { query: jobProgressSubscription, variables: { jobId } });
    // The first event is the row as it is: the subgraph subscribed to Redis before reading it.
    await progress.until((r) => r.length >= 1);
    expect(progress.results[0]?.data?.jobProgress).toEqual({ jobId, status: 'QUEUED', progress: 0, phase: null, metrics: null, error: null });

    await bus.publish(acme.id, 'jobs', jobEvent(otherJob, 'RUNNING', 10));
    await bus.publish(acme.id, 'jobs', jobEvent(jobId, 'RUNNING', 40, { phase: 'epoch 2/5', metrics: { loss: 0.5, epoch: 2 } }));
    await bus.publish(globex.id, 'jobs', jobEvent(jobId, 'RUNNING', 99)); // same id on another tenant's channel: never seen
    await bus.publish(acme.id, 'jobs', jobEvent(jobId, 'SUCCEEDED', 100));
    await bus.publish(acme.id, 'jobs', jobEvent(jobId, 'RUNNING', 5)); // after the end: not delivered

    expect(await progress.ended).toEqual({ kind: 'complete' });
    expect(progress.results.map((r) => [r.data?.jobProgress.status, r.data?.jobProgress.progress])).toEqual([
      ['QUEUED', 0],
      ['RUNNING', 40],
      ['SUCCEEDED', 100],
    ]);
    expect(progress.results[1]?.data?.jobProgress).toMatchObject({ phase: 'epoch 2/5', metrics: [{ name: 'loss', value: 0.5 }, { name: 'epoch', value: 2 }] });
  });

  it('jobProgress of a finished job sends its final state and completes at once', async () => {
    const jobId = await insertJob(stack, acme, 'FAILED');
    const a = connect(bearer(await acme.token('viewer')));
    const progress = new CollectedSubscription<JobProgressData>(a.client, { query: jobProgressSubscription, variables: { jobId } });
    expect(await progress.ended).toEqual({ kind: 'complete' });
    expect(progress.results.map((r) => r.data?.jobProgress.status)).toEqual(['FAILED']);
  });

  it('tenant B subscribing to A\'s job id gets NOT_FOUND, exactly like an id that never existed, and no subscription stays open', async () => {
    const acmeJob = await insertJob(stack, acme);
    const b = connect(bearer(await globex.token('admin')));
    const foreign = new CollectedSubscription<JobProgressData>(b.client, { query: jobProgressSubscription, variables: { jobId: acmeJob } });
    const neverExisted = randomUUID();
    const missing = new CollectedSubscription<JobProgressData>(b.client, { query: jobProgressSubscription, variables: { jobId: neverExisted } });
    expect(await foreign.ended).toEqual({ kind: 'complete' });
    expect(await missing.ended).toEqual({ kind: 'complete' });
    const shape = (results: typeof foreign.results, id: string) =>
      results.map((r) => ({ data: r.data ?? null, errors: r.errors?.map((e) => ({ code: e.extensions?.['code'], message: e.message.replace(id, '<id>') })) }));
    expect(shape(foreign.results, acmeJob)).toEqual([{ data: null, errors: [{ code: 'NOT_FOUND', message: 'Job "<id>" was not found.' }] }]);
    expect(shape(missing.results, neverExisted)).toEqual(shape(foreign.results, acmeJob));

    // Nothing leaked: globex has no live subscription left on its channel.
    let open = await subscribersOf(globex);
    for (let i = 0; i < 100 && open > 0; i++) open = await subscribersOf(globex);
    expect(open).toBe(0);
  });

  it('a malformed job id is BAD_USER_INPUT', async () => {
    const a = connect(bearer(await acme.token('viewer')));
    const bad = new CollectedSubscription<JobProgressData>(a.client, { query: jobProgressSubscription, variables: { jobId: "1' OR '1'='1" } });
    expect(await bad.ended).toEqual({ kind: 'complete' });
    expect(bad.results.map((r) => r.errors?.map((e) => e.extensions?.['code']))).toEqual([['BAD_USER_INPUT']]);
  });

  describe('connection_init authentication (closed 4401 / 4403)', () => {
    it('no token → 4401', async () => {
      expect(await connect(undefined).closed).toEqual({ code: 4401, reason: expect.stringMatching(/^Unauthorized: Send \{ authorization/) });
      expect(await connect({}).closed).toMatchObject({ code: 4401 });
    });

    it('garbage, forged and wrong-audience tokens → 4401 with the reason', async () => {
      const token = await acme.token('admin');
      expect(await connect(bearer('not-a-jwt')).closed).toEqual({ code: 4401, reason: 'Unauthorized: The access token is malformed or invalid.' });
      expect(await connect(bearer(await resignWithForeignKey(token))).closed).toMatchObject({ code: 4401 });
      const otherAudience = await stack.issueToken({ tenant: acme.id, roles: ['admin'], resource: 'https://other-api.test' });
      expect(await connect({ token: otherAudience }).closed).toEqual({ code: 4401, reason: 'Unauthorized: The access token is not meant for this API (audience).' });
    });

    it('a refused connection_init is recorded in the platform security log, like a refused HTTP request', async () => {
      const control = quoteIdentifier(stack.config.database.controlSchema);
      // Failures are aggregated per (tenant, source, minute): the logged failures are the sum of details.count once flushed.
      const failures = async () => {
        await stack.platform.gateway.flushAuthFailures();
        const counted = (table: string) => `SELECT id, CAST(JSON_EXTRACT(details_json, '$.count') AS UNSIGNED) AS c FROM ${control}.${table} WHERE action = 'auth.failure' AND tenant_id = ?`;
        const rows = (await stack.platform.runtime.db.query(`SELECT SUM(c) AS n FROM (${counted('security_outbox')} UNION ${counted('security_events')}) AS failures`, [acme.id, acme.id])) as Array<{
          n: number | string | null;
        }>;
        return Number(rows[0]?.n ?? 0);
      };
      const before = await failures();
      expect(await connect(bearer(await resignWithForeignKey(await acme.token('viewer')))).closed).toMatchObject({ code: 4401 });
      expect(await failures()).toBe(before + 1);
    });

    it('a token of a suspended tenant → 4403; after resume the same token connects', async () => {
      const tenant = await stack.createTenant();
      const token = await tenant.token('viewer');
      await stack.platform.provisioner.setSuspended(tenant.id, true);
      expect(await connect(bearer(token)).closed).toEqual({ code: 4403, reason: expect.stringMatching(/^Forbidden: /) });
      await stack.platform.provisioner.setSuspended(tenant.id, false);
      const connection = connect(bearer(token));
      await connection.connected;

      // Suspended while a subscription is live: the gateway re-checks the tenant and closes the socket.
      const live = new CollectedSubscription<JobEventsData>(connection.client, { query: jobEventsSubscription });
      await untilLive(live, tenant);
      await stack.platform.provisioner.setSuspended(tenant.id, true);
      expect(await connection.closed).toEqual({ code: 4403, reason: 'Forbidden: the tenant is suspended' });
      expect(live.results).toEqual([]);
      await stack.platform.provisioner.setSuspended(tenant.id, false);
    });

    it('a platform operator token without a tenant → 4403', async () => {
      expect(await connect(bearer(await stack.platformAdminToken())).closed).toMatchObject({ code: 4403 });
    });

    it('closes the socket with 4401 "Token expired" when the access token expires mid-subscription', async () => {
      const token = await stack.issueToken({ tenant: acme.id, roles: ['viewer'], tokenTtlSeconds: 2 });
      const connection = connect({ token });
      const stream = new CollectedSubscription<JobEventsData>(connection.client, { query: jobEventsSubscription });
      await untilLive(stream, acme);
      expect(await connection.closed).toEqual({ code: 4401, reason: 'Token expired' });
      // The gateway let go of the subgraph side: no subscriber left on the tenant's channel from this socket.
      let open = await subscribersOf(acme);
      for (let i = 0; i < 100 && open > 0; i++) open = await subscribersOf(acme);
      expect(open).toBe(0);
    });
  });

  it('rules apply to Subscription fields: a tenant token with no role gets FORBIDDEN, not events', async () => {
    const token = await stack.issueToken({ tenant: acme.id, roles: [] });
    const connection = connect(bearer(token));
    const stream = new CollectedSubscription<JobEventsData>(connection.client, { query: jobEventsSubscription });
    expect(await stream.ended).toEqual({ kind: 'complete' });
    expect(stream.results.map((r) => [r.data ?? null, r.errors?.map((e) => e.extensions?.['code'])])).toEqual([[null, ['FORBIDDEN']]]);
    // …and the refusal is an audited authorization failure in the tenant's own log, like one over HTTP.
    const subject = decodeJwt(token).sub;
    const audit = await stack.query<{ auditEvents: { edges: Array<{ node: { actorSubject: string; outcome: string; details: string } }> } }>(
      await acme.token('admin'),
      'query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) { edges { node { actorSubject outcome details } } } }',
      { filter: { action: 'access.denied', actor: subject } },
    );
    expect(audit.errors).toBeUndefined();
    const denials = audit.data!.auditEvents.edges.map((edge) => ({ ...edge.node, details: JSON.parse(edge.node.details) as Record<string, unknown> }));
    expect(denials).toEqual([expect.objectContaining({ actorSubject: subject, outcome: 'DENIED', details: expect.objectContaining({ service: 'jobs', fields: 'jobEvents' }) })]);
  });

  it('validates operations against the supergraph before routing: unknown field, depth, queries over the socket', async () => {
    const a = connect(bearer(await acme.token('viewer')));
    const errorCodeOf = async (query: string) => {
      const sub = new CollectedSubscription(a.client, { query });
      const ended = await sub.ended;
      return ended.kind === 'error' ? (ended.error as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code) : ['<completed>'];
    };
    expect(await errorCodeOf('subscription { noSuchField }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(await errorCodeOf('subscription { jobEvents { jobId } ')).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(await errorCodeOf('{ jobs { edges { node { id } } } }')).toEqual(['BAD_REQUEST']);
    expect(await errorCodeOf('subscription { jobEvents { jobId } alsoThis: jobEvents { jobId } }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    await a.connected; // the socket survived every refusal
  });

  it('a refused subscribe is typed and ends only itself (conditional root fields, bad variables); a document with several operations runs the named one', async () => {
    const a = connect(bearer(await acme.token('viewer')));
    const live = new CollectedSubscription<JobEventsData>(a.client, { query: jobEventsSubscription });
    await untilLive(live, acme);
    const outcome = async (payload: { query: string; variables?: Record<string, unknown>; operationName?: string }) => {
      const sub = new CollectedSubscription(a.client, payload);
      const ended = await Promise.race([sub.ended, sub.until((results) => results.length > 0).then(() => ({ kind: 'next' as const, results: sub.results }))]);
      sub.stop();
      if (ended.kind === 'error') return (ended.error as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code);
      if (ended.kind === 'next') return ended.results.flatMap((result) => (result.errors ?? []).map((e) => e.extensions?.['code']));
      return ['<completed>'];
    };
    // Each was INTERNAL_SERVER_ERROR (or closed the upstream socket, ending `live` too).
    expect(await outcome({ query: 'subscription($s: Boolean!) { jobEvents @include(if: $s) { jobId } }', variables: { s: true } })).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(await outcome({ query: 'subscription { jobEvents @skip(if: true) { jobId } }' })).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(await outcome({ query: 'subscription { ...F } fragment F on Subscription @include(if: false) { jobEvents { jobId } }' })).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(await outcome({ query: jobProgressSubscription })).toEqual(['BAD_USER_INPUT']);
    expect(await outcome({ query: jobProgressSubscription, variables: { jobId: { a: 1 } } })).toEqual(['BAD_USER_INPUT']);
    // Another operation in the document, with fields the jobs service does not have, is not relayed: B runs.
    const several = new CollectedSubscription<JobEventsData>(connect(bearer(await acme.token('viewer'))).client, {
      query: 'subscription B { jobEvents { ...J } } query Q { currentTenant { id } } subscription C { alerts { id } } fragment J on JobEvent { jobId status }',
      operationName: 'B',
    });
    await untilLive(several, acme);
    // The first subscription lived through all of it.
    await untilLive(live, acme);
    await a.connected;
  });

  it('an empty operationName names no operation, as over HTTP: the document\'s one subscription runs (it was INTERNAL_SERVER_ERROR: the subgraph got the "" and found no operation of that name)', async () => {
    const a = connect(bearer(await acme.token('viewer')));
    const unnamed = new CollectedSubscription<JobEventsData>(a.client, { query: jobEventsSubscription, operationName: '' });
    const refused = unnamed.ended.then((ended) => (ended.kind === 'error' ? (ended.error as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code) : ['<completed>']));
    expect(await Promise.race([refused, untilLive(unnamed, acme).then(() => 'live')])).toBe('live');
    // A named one with "" beside another operation is still the pipeline's OPERATION_RESOLUTION_FAILURE, typed.
    const several = new CollectedSubscription(a.client, { query: `${jobEventsSubscription} query Q { currentTenant { id } }`, operationName: '' });
    const ended = await several.ended;
    expect(ended.kind === 'error' ? (ended.error as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code) : ended).toEqual(['OPERATION_RESOLUTION_FAILURE']);
  });

  it('the subscriptions of one client socket share one socket to the subgraph; another client gets its own', async () => {
    let upgrades = 0;
    const countUpgrade = () => (upgrades += 1);
    stack.platform.subgraphs.jobs.server.on('upgrade', countUpgrade);
    try {
      const token = await acme.token('viewer');
      const first = connect(bearer(token));
      const one = new CollectedSubscription<JobEventsData>(first.client, { query: jobEventsSubscription });
      const two = new CollectedSubscription<JobEventsData>(first.client, { query: 'subscription { jobEvents { jobId status } }' });
      await untilLive(one, acme);
      await untilLive(two, acme);
      expect(upgrades).toBe(1);
      const second = connect(bearer(token));
      await untilLive(new CollectedSubscription<JobEventsData>(second.client, { query: jobEventsSubscription }), acme);
      expect(upgrades).toBe(2);
    } finally {
      stack.platform.subgraphs.jobs.server.off('upgrade', countUpgrade);
    }
  });

  it('subscriptions started one after another on a client socket reuse its subgraph socket: a subscribe/complete loop does not open a subgraph socket (a mutual-TLS handshake, a signed context) per subscription', async () => {
    // Each one was a new socket: eight clients subscribing to a missing job in a loop (some 14 cost
    // units each, a quarter of their tenant's rate) took another tenant's median answer from 7 ms to 85 ms.
    let upgrades = 0;
    const countUpgrade = () => (upgrades += 1);
    stack.platform.subgraphs.jobs.server.on('upgrade', countUpgrade);
    try {
      const connection = connect(bearer(await acme.token('viewer')));
      for (let i = 0; i < 5; i++) {
        const missing = new CollectedSubscription(connection.client, { query: jobProgressSubscription, variables: { jobId: '00000000-0000-4000-8000-000000000000' } });
        expect(await missing.ended).toEqual({ kind: 'complete' });
        expect(missing.results.flatMap((result) => (result.errors ?? []).map((e) => e.extensions?.['code']))).toEqual(['NOT_FOUND']);
      }
      expect(upgrades).toBe(1);
    } finally {
      stack.platform.subgraphs.jobs.server.off('upgrade', countUpgrade);
    }
  });

  it('a client that leaves releases the subgraph subscription (Redis channel unsubscribed)', async () => {
    const tenant = await stack.createTenant();
    const connection = connect(bearer(await tenant.token('viewer')));
    const stream = new CollectedSubscription<JobEventsData>(connection.client, { query: jobEventsSubscription });
    await untilLive(stream, tenant);
    expect(await subscribersOf(tenant)).toBe(1);
    await connection.dispose();
    let open = await subscribersOf(tenant);
    for (let i = 0; i < 100 && open > 0; i++) open = await subscribersOf(tenant);
    expect(open).toBe(0);
  });

  describe('the subgraph WebSocket only serves the gateway (even to a holder of the gateway\'s client certificate, the context is checked)', () => {
    const jobsUrl = () => `${stack.platform.subgraphs.jobs.url}/graphql`;
    const asGateway = () => ({ ...stack.pki.identity('gateway'), servername: 'jobs' });

    it('without an internal context → closed 4401', async () => {
      expect(await connect({}, jobsUrl(), asGateway()).closed).toMatchObject({ code: 4401 });
    });

    it('with a user access token instead of the internal context → closed 4401', async () => {
      const token = await acme.token('admin');
      expect(await connect({ ...bearer(token), 'x-tessera-context': token }, jobsUrl(), asGateway()).closed).toMatchObject({ code: 4401 });
    });

    it('with an internal context signed by a key other than the gateway\'s → closed 4401', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT({ kind: 'user', tid: acme.id, roles: ['admin'], rid: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: String(stack.config.internalContextKeys.privateJwk.kid) })
        .setIssuer('tessera-gateway')
        .setAudience('jobs')
        .setSubject('intruder')
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(privateKey);
      expect(await connect({ 'x-tessera-context': forged }, jobsUrl(), asGateway()).closed).toMatchObject({ code: 4401 });
    });
  });

  it('one trace runs from the gateway\'s subscribe span to the jobs subgraph\'s', async () => {
    const exporter = startTelemetry({ serviceName: 'tessera-test', exporter: 'memory' }).memoryExporter;
    if (!exporter) throw new Error('the test harness did not install the in-memory span exporter');
    exporter.reset();
    const a = connect(bearer(await acme.token('viewer')));
    const stream = new CollectedSubscription<JobEventsData>(a.client, { query: jobEventsSubscription, operationName: null });
    await untilLive(stream, acme);
    const spans = exporter.getFinishedSpans();
    const gatewaySpan = spans.find((span) => span.kind === SpanKind.SERVER && span.name.startsWith('gateway subscribe'));
    const jobsSpan = spans.find((span) => span.kind === SpanKind.SERVER && span.name === 'jobs subscribe');
    expect({ gateway: Boolean(gatewaySpan), jobs: Boolean(jobsSpan) }).toEqual({ gateway: true, jobs: true });
    expect(jobsSpan?.spanContext().traceId).toBe(gatewaySpan?.spanContext().traceId);
    expect(jobsSpan?.parentSpanContext?.spanId).toBe(gatewaySpan?.spanContext().spanId);
    expect(jobsSpan?.attributes['tessera.tenant_id']).toBe(acme.id);
  });

  describe('limits (a second gateway over the same subgraphs, with small limits)', () => {
    let strict: RunningGateway;

    /** Another gateway over the stack's subgraphs, with its own limits (and, given Redis, shared counts). */
    const extraGateway = (limits: { maxOperationDepth: number; maxOpenSubscriptions: number }, redis?: typeof stack.config.redis) => startExtraGateway(stack, limits, redis);

    beforeAll(async () => {
      strict = await extraGateway({ maxOperationDepth: 2, maxOpenSubscriptions: 2 });
    });
    afterAll(() => strict?.close());

    it('an operation deeper than the limit → QUERY_TOO_COMPLEX, before any subgraph is called', async () => {
      const a = connect(bearer(await acme.token('viewer')), strict.graphqlUrl);
      const deep = new CollectedSubscription(a.client, { query: 'subscription { jobEvents { metrics { name } } }' });
      const ended = await deep.ended;
      expect(ended.kind === 'error' ? (ended.error as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code) : ended).toEqual(['QUERY_TOO_COMPLEX']);
    });

    it('more concurrent subscriptions than the tenant limit → QUOTA_EXCEEDED; completing one frees a slot; other tenants unaffected', async () => {
      const a = connect(bearer(await acme.token('viewer')), strict.graphqlUrl);
      const first = new CollectedSubscription<JobEventsData>(a.client, { query: 'subscription { jobEvents { jobId } }' });
      const second = new CollectedSubscription<JobEventsData>(a.client, { query: 'subscription { jobEvents { jobId } }' });
      const third = new CollectedSubscription<JobEventsData>(a.client, { query: 'subscription { jobEvents { jobId } }' });
      const ended = await third.ended;
      expect(ended.kind === 'error' ? (ended.error as Array<{ extensions?: { code?: string; limit?: number } }>).map((e) => e.extensions) : ended).toEqual([
        { code: 'QUOTA_EXCEEDED', quota: 'maxOpenSubscriptions', limit: 2, used: 2 },
      ]);

      const b = connect(bearer(await globex.token('viewer')), strict.graphqlUrl);
      const globexStream = new CollectedSubscription<JobEventsData>(b.client, { query: 'subscription { jobEvents { jobId } }' });
      await untilLive(globexStream, globex);

      first.stop();
      await untilLive(second, acme);
      // The slot is released once the gateway has processed `complete`; until then a new one is still refused.
      const refusals: unknown[] = [];
      let live = false;
      for (let attempt = 0; attempt < 20 && !live; attempt++) {
        const fourth = new CollectedSubscription<JobEventsData>(a.client, { query: 'subscription { jobEvents { jobId } }' });
        try {
          await untilLive(fourth, acme);
          live = true;
        } catch {
          refusals.push(await fourth.ended);
        }
      }
      expect(live).toBe(true);
      for (const refusal of refusals) expect(refusal).toEqual({ kind: 'error', error: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUOTA_EXCEEDED' }) })] });
    });

    it('with Redis, the limit holds across gateway replicas: one open subscription on each of two replicas fills a limit of 2', async () => {
      const replicas: RunningGateway[] = [];
      try {
        for (let i = 0; i < 2; i++) replicas.push(await extraGateway({ maxOperationDepth: 15, maxOpenSubscriptions: 2 }, stack.config.redis));
        const token = await globex.token('viewer');
        const [one, two] = replicas.map((replica) => connect(bearer(token), replica.graphqlUrl));
        const first = new CollectedSubscription<JobEventsData>(one!.client, { query: 'subscription { jobEvents { jobId } }' });
        await untilLive(first, globex);
        const second = new CollectedSubscription<JobEventsData>(two!.client, { query: 'subscription { jobEvents { jobId } }' });
        await untilLive(second, globex);
        for (const client of [one!, two!]) {
          const third = new CollectedSubscription<JobEventsData>(client.client, { query: 'subscription { jobEvents { jobId } }' });
          const ended = await third.ended;
          expect(ended.kind === 'error' ? (ended.error as Array<{ extensions?: Record<string, unknown> }>).map((e) => e.extensions) : ended).toEqual([
            { code: 'QUOTA_EXCEEDED', quota: 'maxOpenSubscriptions', limit: 2, used: 2 },
          ]);
        }
        // Completing one on the first replica frees the slot for the second.
        first.stop();
        let granted = false;
        for (let attempt = 0; attempt < 20 && !granted; attempt++) {
          const retry = new CollectedSubscription<JobEventsData>(two!.client, { query: 'subscription { jobEvents { jobId } }' });
          try {
            await untilLive(retry, globex);
            granted = true;
          } catch {
            await retry.ended;
          }
        }
        expect(granted).toBe(true);
      } finally {
        await Promise.all(clients.splice(0).map((c) => c.dispose()));
        await Promise.all(replicas.map((replica) => replica.close()));
      }
    });
  });
});

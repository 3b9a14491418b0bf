import { randomBytes, randomUUID } from 'node:crypto';
import { errors } from '@tessera/errors';
import { quoteIdentifier, TenantDirectory, TenantStore } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, postGraphQL, startTestStack, testAudience, withAuditDetails, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { authFailureAction, createAuthFailureLog } from '../src/auth-failure-log';
import { expectRefused } from './support';
import { connectSubscriptions, type TestSubscriptionClient } from './subscriptions-support';

// The real stack (issuer, S3, MariaDB, subgraphs, gateway); the flood is 1 000 HTTP requests.
jest.setTimeout(300_000);

/** Small, so that a handful of failures locks an address out and refills are rare (one every 12 s). */
const failuresPerMinute = 5;
const currentTenantQuery = '{ currentTenant { id status } }';
const minuteOf = (ms: number) => Math.floor(ms / 60_000);

describe('failed authentications: per-address limit before verification, aggregated audit events', () => {
  let stack: TestStack;
  let acme: TestTenant;
  const sockets: TestSubscriptionClient[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ authFailuresPerMinutePerAddress: failuresPerMinute });
    acme = await stack.createTenant();
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await stack?.stop();
  });

  /** A token naming `tenantId` with a made-up signature: what anyone can produce, in any number. */
  const forgedToken = (tenantId: string, n: number): string => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: stack.issuer.issuerUrl, aud: testAudience, sub: `mallory-${n}`, tenant: tenantId, roles: ['admin'], iat: now, exp: now + 300 };
    return `${part({ alg: 'ES256', typ: 'JWT', kid: 'forged' })}.${part(claims)}.${randomBytes(64).toString('base64url')}`;
  };
  const from = (address: string) => ({ 'x-forwarded-for': address });
  const post = (token: string | undefined, address: string) => postGraphQL<{ currentTenant: { id: string; status: string } }>(stack.graphqlUrl, token, currentTenantQuery, {}, from(address));

  /** Rows of `auth.failure` in the tenant's log (outbox and chain) and the failures they stand for (sum of details.count). */
  async function tenantLogFailures(tenant: TestTenant): Promise<{ rows: number; failures: number }> {
    const details = await tenantLogDetails(tenant);
    return { rows: details.length, failures: details.reduce((sum, d) => sum + Number(d['count'] ?? 0), 0) };
  }

  /**
   * The details of the tenant log's `auth.failure` events, outbox and chain (one statement, so a
   * relay run cannot hide or double one); chained ones are kept sealed beside the chain, so they are
   * opened as the audit service reads them.
   */
  async function tenantLogDetails(tenant: TestTenant): Promise<Array<Record<string, unknown>>> {
    const schema = quoteIdentifier(tenant.schema);
    const rows = await stack.adminQuery<Array<{ seq: number | null; details_json: unknown }>>(
      `SELECT NULL AS seq, details_json FROM ${schema}.audit_outbox WHERE action = ? UNION ALL SELECT seq, details_json FROM ${schema}.audit_events WHERE action = ?`,
      [authFailureAction, authFailureAction],
    );
    await withAuditDetails(stack, tenant.id, rows.filter((row) => row.seq !== null));
    return rows.map((row) => (typeof row.details_json === 'string' ? JSON.parse(row.details_json) : row.details_json) as Record<string, unknown>);
  }

  /** The same in the platform security log, for events naming `tenantId`. */
  async function securityLogFailures(tenantId: string): Promise<{ rows: number; failures: number }> {
    const control = quoteIdentifier(stack.config.database.controlSchema);
    const counted = (table: string) => `SELECT id, CAST(JSON_EXTRACT(details_json, '$.count') AS UNSIGNED) AS c FROM ${control}.${table} WHERE action = ? AND tenant_id = ?`;
    const [row] = await stack.adminQuery<Array<{ n: number | string; total: number | string | null }>>(
      `SELECT COUNT(*) AS n, SUM(c) AS total FROM (${counted('security_outbox')} UNION ${counted('security_events')}) AS failures`,
      [authFailureAction, tenantId, authFailureAction, tenantId],
    );
    return { rows: Number(row?.n), failures: Number(row?.total ?? 0) };
  }

  /** Forged requests from `address` until one is refused RATE_LIMITED (the budget is small; at most `limit` tries). */
  async function lockOut(address: string, limit = 200): Promise<GraphQLResponse<unknown>> {
    for (let i = 0; i < limit; i++) {
      const response = await post(forgedToken(acme.id, i), address);
      if (response.status === 429) return response;
      expectRefused(response, 401, 'UNAUTHENTICATED');
    }
    throw new Error(`${address} was never refused`);
  }

  // 1 000 requests tell the broken cases from the working one as 10 000 did: unlimited, the 8
  // addresses would verify all 1 000 (the bound is 80, 120 across a minute's end); logged a row per
  // failure, the 40 or more they verify would be as many rows (the bound is 16, or 32); refusals
  // counted as failures would make the logs' counts some 1 000, not `unauthenticated`.
  it('1 000 forged tokens naming a tenant add a bounded number of rows to its audit log and to the security log', async () => {
    const victim = await stack.createTenant();
    const sources = Array.from({ length: 8 }, (_, i) => `203.0.113.${i + 1}`);
    const tally = new Map<string, number>();
    const startedAt = Date.now();
    let next = 0;
    // Fast, with bounded concurrency: 16 requests in flight at any time.
    const sender = async () => {
      while (next < 1_000) {
        const i = next++;
        const response = await post(forgedToken(victim.id, i), sources[i % sources.length]!);
        const key = `${response.status} ${errorCodes(response).join(',')}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        if (response.status === 429) expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      }
    };
    await Promise.all(Array.from({ length: 16 }, sender));
    const minutes = minuteOf(Date.now()) - minuteOf(startedAt) + 1;

    // Typed refusals only: UNAUTHENTICATED while an address had budget, RATE_LIMITED (unverified) after.
    const unauthenticated = tally.get('401 UNAUTHENTICATED') ?? 0;
    const rateLimited = tally.get('429 RATE_LIMITED') ?? 0;
    expect(unauthenticated + rateLimited).toBe(1_000);
    expect([...tally.keys()].sort()).toEqual(['401 UNAUTHENTICATED', '429 RATE_LIMITED']);
    // Each address verified at most its budget per minute it was seen in (plus the refills of that time).
    expect(unauthenticated).toBeLessThanOrEqual(sources.length * failuresPerMinute * (minutes + 1));

    await stack.platform.gateway.flushAuthFailures();
    // Per source and minute: the first failure as it happened, then one summary with the count.
    const bound = sources.length * minutes * 2;
    const tenantLog = await tenantLogFailures(victim);
    expect(tenantLog.rows).toBeGreaterThanOrEqual(sources.length);
    expect(tenantLog.rows).toBeLessThanOrEqual(bound);
    expect(tenantLog.failures).toBe(unauthenticated);
    const securityLog = await securityLogFailures(victim.id);
    expect(securityLog.rows).toBeLessThanOrEqual(bound);
    expect(securityLog.failures).toBe(unauthenticated);
  });

  it('the aggregation itself: 1 000 failures from several addresses over three minutes, one summary per window with its count, in both logs', async () => {
    const tenant = await stack.createTenant();
    let nowMs = Date.UTC(2026, 0, 1, 12, 0, 0);
    const db = stack.platform.runtime.db;
    const directory = new TenantDirectory(new TenantStore(db, stack.config.database.controlSchema), 0);
    const log = createAuthFailureLog(db, directory, 'tenant', stack.config.logger, { now: () => nowMs, sweepIntervalMs: 3_600_000 });
    const sources = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'];
    for (let i = 0; i < 1_000; i++) {
      if (i === 400 || i === 800) nowMs += 60_000;
      const headers = { authorization: `Bearer ${forgedToken(tenant.id, i % 7)}` };
      await log.record(headers, sources[i % sources.length], randomUUID(), errors.unauthenticated('The access token signature is invalid.'));
    }
    await log.close();

    // 3 minutes × 5 sources: 15 first failures (count 1) and 15 summaries.
    expect(await tenantLogFailures(tenant)).toEqual({ rows: 30, failures: 1_000 });
    expect(await securityLogFailures(tenant.id)).toEqual({ rows: 30, failures: 1_000 });
    const schema = quoteIdentifier(tenant.schema);
    const logged = await stack.adminQuery<Array<{ seq: number | null; actor_subject: string; source_ip: string | null; outcome: string; details_json: unknown }>>(
      `SELECT NULL AS seq, actor_subject, source_ip, outcome, details_json FROM ${schema}.audit_outbox WHERE action = ?
       UNION ALL SELECT seq, actor_subject, source_ip, outcome, details_json FROM ${schema}.audit_events WHERE action = ?`,
      [authFailureAction, authFailureAction],
    );
    await withAuditDetails(stack, tenant.id, logged.filter((row) => row.seq !== null));
    const parsed = logged.map((row) => ({ ...row, details: (typeof row.details_json === 'string' ? JSON.parse(row.details_json) : row.details_json) as Record<string, unknown> }));
    const summaries = parsed.filter((row) => row.details['summary'] === true);
    const details = summaries.map((row) => row.details);
    // Minutes 1 and 2 got 400 failures (80 per source), minute 3 got 200 (40 per source): the first of each was recorded alone.
    expect(details.map((d) => d['count']).sort()).toEqual([...Array<number>(10).fill(79), ...Array<number>(5).fill(39)].sort());
    expect(details.find((d) => d['source'] === '192.0.2.1' && d['windowStart'] === '2026-01-01T12:00:00.000Z')).toMatchObject({
      summary: true,
      count: 79,
      windowSeconds: 60,
      subjects: 7,
      tokenPresent: true,
      reason: 'The access token signature is invalid.',
    });
    // Still unverified and denied, as a single failure is.
    expect(new Set(summaries.map((row) => `${row.actor_subject} ${row.outcome}`))).toEqual(new Set(['unverified:* DENIED']));
    expect(new Set(summaries.map((row) => row.source_ip))).toEqual(new Set(sources));
  });

  it('a locked-out address is refused before its token is verified, on every route; other addresses and recently verified tokens are still served', async () => {
    const shared = '198.51.100.20';
    const colleague = await acme.token('viewer');
    const neverPresented = await stack.issueToken({ tenant: acme.id, roles: ['viewer'] });
    // The colleague on the shared address authenticated before the attack began.
    expect(expectNoErrors(await post(colleague, shared)).currentTenant).toEqual({ id: acme.id, status: 'ACTIVE' });

    const refused = await lockOut(shared);
    expectRefused(refused, 429, 'RATE_LIMITED');
    const retryAfter = refused.errors?.[0]?.extensions?.['retryAfterSeconds'];
    expect(typeof retryAfter === 'number' && retryAfter >= 1).toBe(true);
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));

    // A valid token the gateway has never seen is refused too: it was not verified (it would have passed).
    expectRefused(await post(neverPresented, shared), 429, 'RATE_LIMITED');
    // GET /graphql, uploads and downloads take the same path.
    const locked = { ...from(shared), authorization: `Bearer ${neverPresented}` };
    const get = await fetch(`${stack.graphqlUrl}?query=${encodeURIComponent(currentTenantQuery)}`, { headers: { ...locked, 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(429);
    expect(errorCodes((await get.json()) as Pick<GraphQLResponse, 'errors'>)).toEqual(['RATE_LIMITED']);
    const upload = await fetch(`${stack.gatewayUrl}/uploads/datasets/${randomUUID()}`, { method: 'PUT', headers: { ...locked, 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    expect({ status: upload.status, retryAfter: upload.headers.get('retry-after') }).toEqual({ status: 429, retryAfter: expect.stringMatching(/^[1-9]\d*$/) });
    expect(errorCodes((await upload.json()) as Pick<GraphQLResponse, 'errors'>)).toEqual(['RATE_LIMITED']);
    const download = await fetch(`${stack.gatewayUrl}/downloads/models/${randomUUID()}`, { headers: locked });
    expect(download.status).toBe(429);
    expect(errorCodes((await download.json()) as Pick<GraphQLResponse, 'errors'>)).toEqual(['RATE_LIMITED']);

    // The colleague's token, verified recently, still gets through the locked address.
    expect(expectNoErrors(await post(colleague, shared)).currentTenant.id).toBe(acme.id);
    // Another address is served, with the token the locked one could not use, and still gets UNAUTHENTICATED (not RATE_LIMITED) for a forgery.
    expect(expectNoErrors(await post(neverPresented, '198.51.100.21')).currentTenant.id).toBe(acme.id);
    expectRefused(await post(forgedToken(acme.id, 1), '198.51.100.22'), 401, 'UNAUTHENTICATED');
    // Having been verified elsewhere, that token now passes the locked address as well.
    expect(expectNoErrors(await post(neverPresented, shared)).currentTenant.id).toBe(acme.id);
    // A forgery is still refused there without verification.
    expectRefused(await post(forgedToken(acme.id, 2), shared), 429, 'RATE_LIMITED');
  });

  it('WebSocket connection_init: failures (no token too) spend the same budget; a locked-out address is closed 4430 before verification; a verified token still connects', async () => {
    const address = '198.51.100.30';
    const connect = (params: Record<string, unknown> | undefined, ip: string) => {
      const socket = connectSubscriptions(stack.graphqlUrl, params, from(ip));
      sockets.push(socket);
      return socket;
    };
    /** Resolves 'connected' once acknowledged, or with how the socket was closed instead. */
    const outcome = (socket: TestSubscriptionClient) => Promise.race([socket.connected.then(() => 'connected' as const), socket.closed]);
    // A user on this address connects before the attack begins.
    const colleagueToken = await acme.token('admin');
    const before = connect({ authorization: `Bearer ${colleagueToken}` }, address);
    expect(await outcome(before)).toBe('connected');
    await before.dispose();

    let closed = await connect(undefined, address).closed;
    for (let i = 0; i < 200 && closed.code === 4401; i++) {
      expect(closed.reason).toMatch(/^Unauthorized: Send \{ authorization/);
      closed = await connect(undefined, address).closed;
    }
    expect(closed).toEqual({ code: 4430, reason: expect.stringMatching(/^Too many requests: too many failed authentications; retry after [1-9]\d* s$/) });

    const neverPresented = await stack.issueToken({ tenant: acme.id, roles: ['viewer'] });
    expect(await connect({ authorization: `Bearer ${neverPresented}` }, address).closed).toMatchObject({ code: 4430 });
    // HTTP and WebSocket share the address's budget: the locked address is refused on HTTP too.
    expectRefused(await post(neverPresented, address), 429, 'RATE_LIMITED');

    expect(await outcome(connect({ authorization: `Bearer ${colleagueToken}` }, address))).toBe('connected');
    // Another address: refused for what it sent, not for the locked one.
    expect(await connect(undefined, '198.51.100.31').closed).toMatchObject({ code: 4401 });
  });
});

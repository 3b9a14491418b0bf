/**
 * `npm run bench:audit` — the audit trail at volume, in one tenant:
 *   append  — events/s through recordAuditEvent (one transaction per event, like a mutation) into
 *             the outbox, then events/s through the relay into the hash chain;
 *   verify  — events/s recomputed by verifyAuditChain (through the gateway);
 *   page    — auditEvents page latency (p50/p99, through the gateway) under a mix of filters
 *             (none, actor, action, target, outcome, time range, next page by cursor), at SMALL
 *             events (10 000) and again after growing the same chain to LARGE (1 000 000).
 * The bulk of the chain is generated fast: rows and hashes computed here, continuing the real
 * chain, written with multi-row INSERTs as the migrator account (the service account cannot
 * write audit_events except by appending, and the relay would take much longer); the result
 * still verifies. Target: page p99 at LARGE ≤ 2 × page p99 at SMALL.
 *
 * Environment: BENCH_AUDIT_APPEND (5000), BENCH_AUDIT_SMALL (10000), BENCH_AUDIT_LARGE (1000000),
 * BENCH_AUDIT_PAGES (300 pages per size), BENCH_AUDIT_CONCURRENCY (8 writers), BENCH_AUDIT_BATCH (4000 rows per INSERT).
 * Exits non-zero if a page query fails or the chain does not verify; never on the target.
 */
import { keyringColumnKeys, sealedAuditDetails } from '@tessera/service-kit';
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { canonicalEvent, canonicalJson, chainHash, drainAuditOutbox, eventColumns, genesisHash, recordAuditEvent } from '@tessera/audit-client';
import { expectNoErrors, postGraphQL, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { openMigrationDataSource } from '@tessera/tenancy';
import { fmt, intFromEnv, percentile, runBench } from './support';

const settings = {
  append: intFromEnv('BENCH_AUDIT_APPEND', 5000, 1),
  small: intFromEnv('BENCH_AUDIT_SMALL', 10_000, 100),
  large: intFromEnv('BENCH_AUDIT_LARGE', 1_000_000, 100),
  pages: intFromEnv('BENCH_AUDIT_PAGES', 300, 10),
  concurrency: intFromEnv('BENCH_AUDIT_CONCURRENCY', 8, 1),
  batch: intFromEnv('BENCH_AUDIT_BATCH', 4000, 100),
};
const targetRatio = 2;

// A plausible population: the filters below hit rare and common values alike.
const actors = Array.from({ length: 200 }, (_, i) => `user-${i}@example.test`);
const actions = ['dataset.create', 'dataset.read', 'dataset.delete', 'dataset_version.create', 'model.download', 'model.create', 'job.submit', 'auth.failure', 'cross_tenant_attempt', 'role.change'];
const targetTypes = ['Dataset', 'DatasetVersion', 'Model', 'ModelVersion', 'Job'];
const spanMs = 90 * 86_400_000; // events spread over 90 days

/** Deterministic pseudo-random (a bench must be repeatable). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

async function appendPhase(stack: TestStack, tenant: TestTenant): Promise<{ writeRate: number; relayRate: number }> {
  const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', tenantId: tenant.id, subject: 'bench@example.test', roles: ['admin'], requestId: 'bench', clientId: undefined, sourceIp: undefined });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (next < settings.append) {
        const i = next++;
        await scope.transaction((manager) =>
          recordAuditEvent(manager, scope.principal, { action: 'dataset.read', targetType: 'Dataset', targetId: randomUUID(), details: { bench: true, n: i } }),
        );
      }
    }),
  );
  const written = performance.now();
  const moved = await drainAuditOutbox(stack.platform.runtime.db, tenant.id, sealedAuditDetails(keyringColumnKeys(stack.platform.runtime.keyring, tenant.id)));
  const relayed = performance.now();
  if (moved !== settings.append) throw new Error(`the relay chained ${moved} events, expected ${settings.append}`);
  return { writeRate: settings.append / ((written - started) / 1000), relayRate: moved / ((relayed - written) / 1000) };
}

/** Appends `count` generated events to the chain, continuing from its real head, as the migrator. */
async function grow(stack: TestStack, tenant: TestTenant, count: number, seed: number): Promise<number> {
  const admin = await openMigrationDataSource(stack.migrator, tenant.schema, []);
  try {
    const [head] = (await admin.query('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1')) as Array<{ seq: number; hash: string }>;
    let seq = head ? Number(head.seq) : 0;
    let hash = head?.hash ?? genesisHash;
    const random = rng(seed);
    const start = Date.now() - spanMs;
    const columns = [...eventColumns, 'seq', 'prev_hash', 'hash'];
    const started = performance.now();
    for (let done = 0; done < count; ) {
      const n = Math.min(settings.batch, count - done);
      const values: unknown[] = [];
      for (let i = 0; i < n; i += 1) {
        seq += 1;
        const outcomeRoll = random();
        const row: Record<string, unknown> = {
          id: randomUUID(),
          occurred_at: new Date(start + Math.floor(((done + i) / count) * spanMs)),
          actor_subject: actors[Math.floor(random() * actors.length)],
          actor_roles: 'admin',
          actor_client: null,
          action: actions[Math.floor(random() * actions.length)],
          target_type: targetTypes[Math.floor(random() * targetTypes.length)],
          target_id: `obj-${Math.floor(random() * 50_000)}`,
          outcome: outcomeRoll < 0.9 ? 'SUCCESS' : outcomeRoll < 0.98 ? 'DENIED' : 'FAILED',
          request_id: `req-${seq}`,
          trace_id: null,
          source_ip: '10.0.0.1',
          details_json: canonicalJson({ bytes: Math.floor(random() * 1e6) }),
        };
        const previous = hash;
        hash = chainHash(previous, canonicalEvent(`tenant:${tenant.id}`, seq, row, eventColumns));
        for (const column of eventColumns) values.push(row[column]);
        values.push(seq, previous, hash);
      }
      const placeholders = `(${columns.map(() => '?').join(',')})`;
      await admin.query(`INSERT INTO audit_events (${columns.join(',')}) VALUES ${Array.from({ length: n }, () => placeholders).join(',')}`, values);
      done += n;
      if (count >= 100_000 && done % 100_000 < settings.batch) process.stdout.write(`  … ${done} / ${count} rows (${fmt(done / ((performance.now() - started) / 1000), 0)} rows/s)\n`);
    }
    return seq;
  } finally {
    await admin.destroy();
  }
}

const pageQuery = `query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) { edges { cursor node { id sequence action actorSubject occurredAt } } pageInfo { hasNextPage endCursor } }
}`;

type PageResult = { auditEvents: { edges: Array<{ cursor: string }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/** The filter mix, rotated; `seed` varies the values so the cache never holds the answer. */
function filterFor(i: number, random: () => number): Record<string, unknown> | undefined {
  const now = Date.now();
  const dayStart = now - Math.floor(random() * 80) * 86_400_000 - spanMs / 9;
  switch (i % 7) {
    case 0:
      return undefined;
    case 1:
      return { actor: actors[Math.floor(random() * actors.length)] };
    case 2:
      return { action: actions[Math.floor(random() * actions.length)] };
    case 3:
      return { targetType: targetTypes[Math.floor(random() * targetTypes.length)], targetId: `obj-${Math.floor(random() * 50_000)}` };
    case 4:
      return { outcome: random() < 0.5 ? 'DENIED' : 'FAILED' };
    case 5:
      return { from: new Date(dayStart).toISOString(), to: new Date(dayStart + 86_400_000).toISOString() };
    default:
      return { actor: actors[Math.floor(random() * actors.length)], outcome: 'SUCCESS', from: new Date(now - 30 * 86_400_000).toISOString() };
  }
}

async function pagePhase(stack: TestStack, token: string, label: string): Promise<{ p50: number; p99: number; perFilter: string }> {
  const random = rng(label.length * 7919);
  const latencies = new Float64Array(settings.pages);
  const byKind = new Map<number, number[]>();
  // Warm-up (connection pools, plans), not measured.
  for (let i = 0; i < 14; i += 1) expectNoErrors(await postGraphQL<PageResult>(stack.graphqlUrl, token, pageQuery, { filter: filterFor(i, random), first: 20 }));
  for (let i = 0; i < settings.pages; i += 1) {
    const filter = filterFor(i, random);
    const t0 = performance.now();
    const page = expectNoErrors(await postGraphQL<PageResult>(stack.graphqlUrl, token, pageQuery, { filter, first: 20 }));
    let ms = performance.now() - t0;
    // Every other page also fetches the next page by cursor (timed on its own).
    if (i % 2 === 1 && page.auditEvents.pageInfo.endCursor) {
      const t1 = performance.now();
      expectNoErrors(await postGraphQL<PageResult>(stack.graphqlUrl, token, pageQuery, { filter, first: 20, after: page.auditEvents.pageInfo.endCursor }));
      ms = Math.max(ms, performance.now() - t1);
    }
    latencies[i] = ms;
    const list = byKind.get(i % 7) ?? [];
    list.push(ms);
    byKind.set(i % 7, list);
  }
  latencies.sort();
  const names = ['none', 'actor', 'action', 'target', 'outcome', 'day', 'actor+outcome+from'];
  const perFilter = [...byKind.entries()]
    .sort(([a], [b]) => a - b)
    .map(([kind, values]) => `${names[kind]} ${fmt(percentile(Float64Array.from(values).sort(), 99), 1)}`)
    .join(', ');
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perFilter };
}

async function verifyPhase(stack: TestStack, token: string): Promise<{ events: number; rate: number }> {
  const t0 = performance.now();
  const res = expectNoErrors(
    await postGraphQL<{ verifyAuditChain: { valid: boolean; checkedEvents: number; reason: string | null; firstBadSequence: number | null } }>(
      stack.graphqlUrl,
      token,
      'query { verifyAuditChain { valid checkedEvents reason firstBadSequence } }',
    ),
  ).verifyAuditChain;
  const seconds = (performance.now() - t0) / 1000;
  if (!res.valid) throw new Error(`the chain does not verify: ${res.reason} at ${res.firstBadSequence}`);
  return { events: res.checkedEvents, rate: res.checkedEvents / seconds };
}

async function main(): Promise<number> {
  console.log('Starting the stack (issuer, S3 server, MariaDB, subgraphs, gateway); background relay off so the relay is timed alone…');
  const stack = await startTestStack({ auditRelayIntervalMs: 600_000, tenantCacheTtlMs: 5_000 });
  try {
    const tenant = await stack.createTenant();
    const token = await tenant.token('admin');
    console.log(`Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}; settings ${JSON.stringify(settings)}`);

    const append = await appendPhase(stack, tenant);
    console.log(`append: ${fmt(append.writeRate, 0)} events/s into the outbox (${settings.concurrency} writers, one transaction each); relay ${fmt(append.relayRate, 0)} events/s into the chain`);

    await grow(stack, tenant, settings.small - settings.append, 1);
    const verifySmall = await verifyPhase(stack, token);
    const small = await pagePhase(stack, token, 'small');
    console.log(`at ${verifySmall.events} events: verify ${fmt(verifySmall.rate, 0)} events/s; page p50 ${fmt(small.p50)} ms, p99 ${fmt(small.p99)} ms (p99 by filter: ${small.perFilter})`);

    console.log(`growing the chain to ${settings.large} events (generated rows, real hashes) …`);
    const t0 = performance.now();
    await grow(stack, tenant, settings.large - settings.small, 2);
    console.log(`  generated in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    const large = await pagePhase(stack, token, 'large');
    const verifyLarge = await verifyPhase(stack, token);
    console.log(`at ${verifyLarge.events} events: verify ${fmt(verifyLarge.rate, 0)} events/s; page p50 ${fmt(large.p50)} ms, p99 ${fmt(large.p99)} ms (p99 by filter: ${large.perFilter})`);

    const ratio = large.p99 / small.p99;
    console.log(
      `page p99 ${settings.large} vs ${settings.small}: ${fmt(ratio)}× (target ≤ ${targetRatio}×) — ${ratio <= targetRatio ? 'target met' : 'target NOT met'}`,
    );
    return 0;
  } finally {
    await stack.stop();
  }
}

runBench(main);

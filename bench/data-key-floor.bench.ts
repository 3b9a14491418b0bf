/**
 * `npm run bench:data-key-floor` — what the data-key floor costs a sealed write. Each write is one
 * transaction in the tenant's schema that takes the tenant's current data key, seals a small JSON
 * value (sealWithKey) and stores it (an INSERT into `audit_event_details`, as the audit relay does),
 * measured two ways, alternating in rounds so both see the same load:
 *   without — the key taken as before (TenantScope.currentDataKey, no lock);
 *   floor   — the key taken with TenantScope.sealingKey (the floor row read under a shared lock
 *             first, in the same transaction).
 * Reported: latency p50/p99 per write with one writer.
 *
 * Environment: BENCH_FLOOR_WRITES (2000 per variant), BENCH_FLOOR_ROUNDS (10). Never exits non-zero
 * on the numbers.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { sealWithKey } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { startTestStack } from '@tessera/testing';
import type { EntityManager } from 'typeorm';
import { fmt, intFromEnv, percentile, runBench } from './support';

const settings = {
  writes: intFromEnv('BENCH_FLOOR_WRITES', 2000, 10),
  rounds: intFromEnv('BENCH_FLOOR_ROUNDS', 10, 1),
};

type Variant = 'without' | 'floor';
const details = JSON.stringify({ host: 'hooks.example.test', threshold: 12, enabled: true });
// Far above any real sequence number of the bench tenant's chain (which stays empty here).
let nextSeq = 1_000_000_000;

async function sealedWrite(scope: TenantScope, variant: Variant): Promise<void> {
  const seq = nextSeq++;
  await scope.transaction(async (manager: EntityManager) => {
    const key = variant === 'floor' ? await scope.sealingKey(manager) : await scope.currentDataKey();
    const stored = sealWithKey(details, key, scope.tenant.id, { table: 'audit_event_details', column: 'details', rowId: String(seq) });
    await manager.query('INSERT INTO audit_event_details (seq, details, key_version) VALUES (?, ?, ?)', [seq, stored, key.keyVersion]);
  });
}

async function main(): Promise<number> {
  const stack = await startTestStack();
  try {
    const tenant = await stack.createTenant();
    // The audit service's own account: the one that writes sealed details.
    const scope = await stack.platform.runtimes.audit.scopes.forPrincipal({ kind: 'user', tenantId: tenant.id, subject: 'bench@example.test', roles: ['admin'], requestId: 'bench', clientId: undefined, sourceIp: undefined });
    console.log(`Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}; settings ${JSON.stringify(settings)}`);
    for (let i = 0; i < 50; i++) await sealedWrite(scope, i % 2 === 0 ? 'without' : 'floor'); // warm: pools, key cache

    const latencies: Record<Variant, number[]> = { without: [], floor: [] };
    const perRound = Math.max(1, Math.floor(settings.writes / settings.rounds));
    for (let round = 0; round < settings.rounds; round++) {
      for (const variant of round % 2 === 0 ? (['without', 'floor'] as const) : (['floor', 'without'] as const)) {
        for (let i = 0; i < perRound; i++) {
          const t0 = performance.now();
          await sealedWrite(scope, variant);
          latencies[variant].push(performance.now() - t0);
        }
      }
    }
    for (const variant of ['without', 'floor'] as const) {
      const sorted = Float64Array.from(latencies[variant]).sort();
      console.log(`one writer, ${variant.padEnd(7)}: p50 ${fmt(percentile(sorted, 50))} ms, p99 ${fmt(percentile(sorted, 99))} ms (${sorted.length} writes)`);
    }
    return 0;
  } finally {
    await stack.stop();
  }
}

runBench(main);

/**
 * `npm run bench:jobs` — the job system under load, in one run:
 *   1. throughput: N PROFILE jobs queued first, then drained by 1 worker process, then by W workers
 *      (jobs/s from the first start to the last finish, read from the job rows);
 *   2. fairness: a quiet tenant submits one job every BENCH_QUIET_INTERVAL_MS, alone, and again
 *      while a noisy tenant keeps hundreds queued and keeps submitting. The target is counted in
 *      jobs, not milliseconds: for each quiet job, how many noisy jobs started between the quiet
 *      job's entry reaching the queue and the quiet job starting (job rows' started_at, BullMQ's
 *      timestamp). Round robin over tenants bounds it by the worker slots (+1) whatever the noisy
 *      backlog and however slow the machine; target p99 ≤ slots + 1. A FIFO queue would make it the
 *      noisy backlog. Wall-time waits (queue wait alone vs flooding, submit→start) are printed as
 *      information: on a shared 2-core machine they mostly measure CPU contention.
 * The noisy tenant runs with its concurrency limit (maxConcurrentJobs, BENCH_NOISY_CONCURRENCY)
 * below the workers' slots by default; set it to the slot count to let the flood fill every slot.
 * Printed too: the load average and the CPU the worker processes and this process used per job.
 *
 * Environment: BENCH_JOBS (300), BENCH_WORKERS (3), BENCH_WORKER_CONCURRENCY (2),
 * BENCH_QUIET_JOBS (150), BENCH_QUIET_INTERVAL_MS (100), BENCH_NOISY_BACKLOG (600: queued before, topped up during the measurement),
 * BENCH_NOISY_CONCURRENCY (2). Exits non-zero if a job fails; never on the target.
 */
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { JobQueues, queueJobId } from '@tessera/job-queue';
import type { RunningWorkerProcess } from '@tessera/workers';
import { processCpuMicros } from './process-stats';
import { fmt, intFromEnv, percentile, runBench } from './support';

const settings = {
  jobs: intFromEnv('BENCH_JOBS', 300, 1),
  workers: intFromEnv('BENCH_WORKERS', 3, 1),
  workerConcurrency: intFromEnv('BENCH_WORKER_CONCURRENCY', 2, 1),
  quietJobs: intFromEnv('BENCH_QUIET_JOBS', 150, 1),
  quietIntervalMs: intFromEnv('BENCH_QUIET_INTERVAL_MS', 100, 0),
  noisyBacklog: intFromEnv('BENCH_NOISY_BACKLOG', 600, 1),
  noisyConcurrency: intFromEnv('BENCH_NOISY_CONCURRENCY', 2, 1),
};

const submitProfile = 'mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { id } }';
const csv = 'a,b,c\n1,2.5,x\n2,3.5,y\n3,4.5,x\n';

interface Bench {
  stack: TestStack;
  submit(tenant: TestTenant, count: number, parallel?: number): Promise<string[]>;
  version: Map<string, string>;
}

async function uploadDataset(stack: TestStack, token: string): Promise<string> {
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, 'mutation { createDataset(input: { name: "bench" }) { id } }')).createDataset.id;
  const body = Buffer.from(csv);
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, 'mutation($i: CreateDatasetUploadInput!) { createDatasetUpload(input: $i) { id uploadUrl } }', {
      i: { datasetId, filename: 'bench.csv', byteSize: body.length },
    }),
  ).createDatasetUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body });
  if (put.status !== 200) throw new Error(`upload failed: ${await put.text()}`);
  return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', { id: upload.id })).completeDatasetUpload.id;
}

interface Row {
  id: string;
  status: string;
  queued: number;
  started: number | null;
  finished: number | null;
}

async function rows(stack: TestStack, tenant: TestTenant, ids?: string[]): Promise<Row[]> {
  const all = (await stack.platform.runtime.db.query(`SELECT id, status, queued_at, started_at, finished_at FROM \`${tenant.schema}\`.jobs`)) as Array<Record<string, Date | string | null>>;
  const wanted = ids ? new Set(ids) : undefined;
  return all
    .filter((r) => !wanted || wanted.has(String(r['id'])))
    .map((r) => ({
      id: String(r['id']),
      status: String(r['status']),
      queued: new Date(r['queued_at'] as Date).getTime(),
      started: r['started_at'] ? new Date(r['started_at'] as Date).getTime() : null,
      finished: r['finished_at'] ? new Date(r['finished_at'] as Date).getTime() : null,
    }));
}

async function waitAllDone(stack: TestStack, tenant: TestTenant, ids: string[]): Promise<Row[]> {
  for (;;) {
    const current = await rows(stack, tenant, ids);
    const failed = current.filter((r) => r.status === 'FAILED' || r.status === 'CANCELLED');
    if (failed.length > 0) throw new Error(`${failed.length} jobs did not succeed (e.g. ${failed[0]!.id} ${failed[0]!.status})`);
    if (current.length === ids.length && current.every((r) => r.status === 'SUCCEEDED')) return current;
    await sleep(200);
  }
}

async function throughput(bench: Bench, tenant: TestTenant, workers: number): Promise<number> {
  const ids = await bench.submit(tenant, settings.jobs, 16);
  const started = await Promise.all(Array.from({ length: workers }, () => bench.stack.workers.start({ concurrency: settings.workerConcurrency })));
  const done = await waitAllDone(bench.stack, tenant, ids);
  await Promise.all(started.map((w) => w.stop()));
  const first = Math.min(...done.map((r) => r.started!));
  const last = Math.max(...done.map((r) => r.finished!));
  return (ids.length * 1000) / Math.max(1, last - first);
}

interface Waits {
  /** Enqueued in Redis → fetched by a worker (BullMQ's timestamp and processedOn): the scheduler's share. */
  queue: Float64Array;
  /** Submit request received → job claimed (job rows): includes the API's own time under load. */
  endToEnd: Float64Array;
  /** Per quiet job: when its entry entered the queue (BullMQ timestamp) and when a worker claimed it (job row), epoch ms. */
  windows: Array<{ enqueued: number; started: number }>;
}

/** Submits the quiet tenant's jobs at a steady pace; returns their waits (ms), sorted. */
async function quietWaits(bench: Bench, quiet: TestTenant): Promise<Waits> {
  const ids: string[] = [];
  for (let i = 0; i < settings.quietJobs; i++) {
    ids.push(...(await bench.submit(quiet, 1)));
    await sleep(settings.quietIntervalMs);
  }
  const done = await waitAllDone(bench.stack, quiet, ids);
  const startedById = new Map(done.map((r) => [r.id, r.started!]));
  const queues = new JobQueues(bench.stack.config.redis);
  try {
    const queue = queues.queueFor(quiet.id);
    const entries = await Promise.all(ids.map((id) => queue.getJob(queueJobId(id, 1))));
    const windows = entries.map((entry, i) => {
      if (!entry?.processedOn) throw new Error(`no queue entry for quiet job ${ids[i]}`);
      return { enqueued: entry.timestamp, fetched: entry.processedOn, started: startedById.get(ids[i]!)! };
    });
    return {
      queue: Float64Array.from(windows.map((w) => w.fetched - w.enqueued)).sort(),
      endToEnd: Float64Array.from(done.map((r) => r.started! - r.queued)).sort(),
      windows: windows.map(({ enqueued, started }) => ({ enqueued, started })),
    };
  } finally {
    await queues.close();
  }
}

/** How many of `sortedStarts` (ascending epoch ms) fall in (from, to]. */
function countIn(sortedStarts: Float64Array, from: number, to: number): number {
  const firstAfter = (t: number) => {
    let lo = 0;
    let hi = sortedStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedStarts[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return Math.max(0, firstAfter(to) - firstAfter(from));
}

/**
 * For each quiet job, the noisy tenant's jobs that started while it waited: after its entry was
 * queued and before it started. Both starts are the job rows' started_at (set when a worker claims
 * the job), so the count compares like with like; it does not depend on how fast the machine is,
 * only on the order the scheduler takes jobs in.
 */
function overtakes(quiet: Waits, noisyStarts: Float64Array): Float64Array {
  return Float64Array.from(quiet.windows.map((w) => countIn(noisyStarts, w.enqueued, w.started))).sort();
}

/** CPU (user + system, µs) the worker processes and this process use from now until `used()`. */
function cpuMeter(workers: RunningWorkerProcess[]): { used(): { workers: number; self: number } } {
  const workersCpu = () => workers.reduce((sum, w) => sum + (processCpuMicros(w.pid) ?? 0), 0);
  const workersBefore = workersCpu();
  const selfBefore = process.cpuUsage();
  return {
    used: () => {
      const self = process.cpuUsage(selfBefore);
      return { workers: workersCpu() - workersBefore, self: self.user + self.system };
    },
  };
}

function describeWaits(label: string, waits: Float64Array): void {
  console.log(`  ${label.padEnd(28)} p50 ${fmt(percentile(waits, 50), 1).padStart(7)} ms   p90 ${fmt(percentile(waits, 90), 1).padStart(7)} ms   p99 ${fmt(percentile(waits, 99), 1).padStart(7)} ms   max ${fmt(waits[waits.length - 1] ?? NaN, 1).padStart(7)} ms`);
}

async function main(): Promise<number> {
  process.env['TEST_LOG_LEVEL'] = 'silent';
  startTelemetry({ serviceName: 'tessera-bench', exporter: 'none' });
  console.log('Starting the stack (issuer, S3 server, MariaDB, Redis, subgraphs, gateway)…');
  const stack = await startTestStack({ tenantCacheTtlMs: 5_000 });
  try {
    const limits = { costPerMinute: 10_000_000, costBurst: 10_000_000, maxConcurrentOperations: 1_000, maxQueuedJobs: 1_000_000 };
    const [bulk, quiet, noisy] = await Promise.all([
      stack.createTenant({ limits: { ...limits, maxConcurrentJobs: 64 } }),
      stack.createTenant({ limits: { ...limits, maxConcurrentJobs: 64 } }),
      stack.createTenant({ limits: { ...limits, maxConcurrentJobs: settings.noisyConcurrency } }),
    ]);
    const version = new Map<string, string>();
    for (const tenant of [bulk, quiet, noisy]) version.set(tenant.id, await uploadDataset(stack, await tenant.token('data_scientist')));
    const bench: Bench = {
      stack,
      version,
      submit: async (tenant, count, parallel = 1) => {
        const token = await tenant.token('data_scientist');
        const ids: string[] = [];
        for (let i = 0; i < count; i += parallel) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(parallel, count - i) }, async () =>
              expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(token, submitProfile, { input: { datasetVersionId: version.get(tenant.id) } })).submitProfileJob.id,
            ),
          );
          ids.push(...batch);
        }
        return ids;
      },
    };
    console.log(
      `Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}; ` +
        `PROFILE jobs on a 3-row CSV; worker concurrency ${settings.workerConcurrency}`,
    );

    console.log('\nThroughput (jobs queued first, then drained):');
    const one = await throughput(bench, bulk, 1);
    console.log(`  1 worker:  ${fmt(one, 1)} jobs/s`);
    const many = await throughput(bench, bulk, settings.workers);
    console.log(`  ${settings.workers} workers: ${fmt(many, 1)} jobs/s (×${fmt(many / one)})`);

    console.log(`\nQueue wait of a quiet tenant (${settings.quietJobs} jobs, one every ${settings.quietIntervalMs} ms), ${settings.workers} workers:`);
    const workers = await Promise.all(Array.from({ length: settings.workers }, () => stack.workers.start({ concurrency: settings.workerConcurrency })));
    await quietWaits(bench, quiet); // warm-up: sessions, caches, consumers
    const soloCpu = cpuMeter(workers);
    const solo = await quietWaits(bench, quiet);
    const soloUsed = soloCpu.used();
    describeWaits('queue wait, alone', solo.queue);
    // The flood is queued while the workers are down (its submits do not compete with the quiet
    // tenant's for the API, and it cannot drain before the measurement), then keeps the noisy tenant
    // at its running limit for the whole measurement.
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    const noisyIds = await bench.submit(noisy, settings.noisyBacklog, 16);
    workers.push(...(await Promise.all(Array.from({ length: settings.workers }, () => stack.workers.start({ concurrency: settings.workerConcurrency })))));
    // …and is topped up while the quiet tenant runs, so it never drains: the noisy tenant keeps submitting.
    const flooding = { on: true, lowest: Number.POSITIVE_INFINITY };
    const topUp = (async () => {
      while (flooding.on) {
        const queued = (await rows(stack, noisy)).filter((r) => r.status === 'QUEUED').length;
        flooding.lowest = Math.min(flooding.lowest, queued);
        if (queued < settings.noisyBacklog / 2) noisyIds.push(...(await bench.submit(noisy, Math.ceil(settings.noisyBacklog / 4), 8)));
        else await sleep(200);
      }
    })();
    const contendedCpu = cpuMeter(workers);
    const contended = await quietWaits(bench, quiet);
    const contendedUsed = contendedCpu.used();
    flooding.on = false;
    await topUp;
    describeWaits('queue wait, noisy flooding', contended.queue);
    describeWaits('submit→start, alone', solo.endToEnd);
    describeWaits('submit→start, noisy flooding', contended.endToEnd);
    console.log(`  (noisy tenant: ${noisyIds.length} submitted, limit ${settings.noisyConcurrency} running at once, never fewer than ${flooding.lowest} queued during the run)`);
    // Fairness in jobs rather than milliseconds: how many noisy jobs started while each quiet job waited.
    const slots = settings.workers * settings.workerConcurrency;
    const bound = slots + 1;
    const noisyStarts = Float64Array.from((await rows(stack, noisy)).flatMap((r) => (r.started === null ? [] : [r.started]))).sort();
    const overtaken = overtakes(contended, noisyStarts);
    const phaseStart = contended.windows[0]!.enqueued;
    const phaseEnd = contended.windows[contended.windows.length - 1]!.started;
    const noisyInPhase = countIn(noisyStarts, phaseStart, phaseEnd);
    const noisyRate = (noisyInPhase * 1000) / Math.max(1, phaseEnd - phaseStart);
    console.log(`\nNoisy jobs started while a quiet job waited (queued → started, job rows), ${slots} worker slots:`);
    console.log(
      `  p50 ${fmt(percentile(overtaken, 50), 0)}   p99 ${fmt(percentile(overtaken, 99), 0)}   max ${fmt(overtaken[overtaken.length - 1] ?? NaN, 0)}   mean ${fmt(overtaken.reduce((a, b) => a + b, 0) / overtaken.length)}` +
        `   (noisy jobs started at ${fmt(noisyRate, 1)}/s meanwhile; a FIFO queue would have started at least ${flooding.lowest} first)`,
    );
    const p99Overtaken = percentile(overtaken, 99);
    console.log(
      `quiet job overtaken by noisy jobs, p99: ${fmt(p99Overtaken, 0)} (target ≤ ${bound} = slots + 1: every slot may be mid-pick of a noisy job when the quiet tenant joins the ring, ` +
        `and the noisy tenant may be one ring turn ahead): ${p99Overtaken <= bound ? 'target met' : 'target NOT met'}`,
    );
    const ratio = percentile(contended.queue, 99) / percentile(solo.queue, 99);
    const endToEndRatio = percentile(contended.endToEnd, 99) / percentile(solo.endToEnd, 99);
    const perJob = (micros: number, jobs: number) => `${fmt(micros / jobs / 1000, 2)} ms`;
    console.log(
      `CPU per job run (quiet and noisy): worker processes ${perJob(soloUsed.workers, settings.quietJobs)} alone → ${perJob(contendedUsed.workers, settings.quietJobs + noisyInPhase)} flooding; ` +
        `this process (API, subgraphs, bench) ${perJob(soloUsed.self, settings.quietJobs)} → ${perJob(contendedUsed.self, settings.quietJobs + noisyInPhase)}`,
    );
    console.log(`\nInformation (wall time, grows with CPU contention; load average now ${loadavg().map((n) => n.toFixed(2)).join(' ')}):`);
    console.log(`  quiet queue-wait p99 with flood / alone: ${fmt(ratio)}×`);
    console.log(`  quiet submit→start p99 with flood / alone: ${fmt(endToEndRatio)}× (includes the API answering the flood's submits, in this one process)`);
    await Promise.all(workers.map((w) => w.stop()));
    return 0;
  } finally {
    await stack.stop();
  }
}

runBench(main);

/**
 * npm run bench:csv-upload — does one tenant's large CSV upload slow every other tenant's queries?
 *
 * The datasets service checks an upload's CSV (UTF-8, quoting, limits, column types) as the bytes
 * stream through it. Here a quiet tenant asks for a datasets page (one request at a time, from a
 * worker thread) first alone, then while another tenant uploads BENCH_CSV_ROWS rows (from a child
 * process). The gateway runs in its own process, the subgraphs in this one (as in bench:noisy).
 *
 * Reported per round: the quiet tenant's p50 / p99 alone and during the upload, the upload's
 * duration and row rate, the event-loop delay of the subgraphs' thread, CPU (this process's main
 * thread — the subgraphs' event loop —, its other threads — CSV parsing threads, load thread, I/O —,
 * the gateway process, the uploading client) as cores busy, and the load average.
 *
 * Then, if BENCH_TRICKLE_UPLOADS (4) > 0, the trickle phase: two more tenants open that many uploads
 * between them, each sending its header and a row, then a line break every 10 s (within the gateway's 30 s idle
 * timeout), and the quiet tenant sends BENCH_TRICKLE_PROBES (2) small uploads one after the other:
 * printed, each one's HTTP status and time, the cores busy and the load average meanwhile. An upload
 * that holds a parsing thread while its body arrives leaves none for the quiet tenant (it waits the
 * queue's 10 s and is refused RATE_LIMITED).
 *
 * BENCH_ROUNDS (2), BENCH_CSV_ROWS (3 400 000 rows of 19 bytes, 61.6 MiB), BENCH_QUIET_SECONDS
 * (10, the solo phase), and BENCH_CSV_REPO: another checkout whose stack and gateway to measure
 * (e.g. `BENCH_CSV_REPO=/work/main` for the version that parsed on the event loop) — the harness
 * (load thread, uploader, statistics) stays this one.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as Testing from '@tessera/testing';
import { startGatewayProcess } from './gateway-process';
import { fmt, intFromEnv, LoadGenerator, percentile, runBench, type LoadTarget, type ResponseExpectation, type RunResult } from './support';

const settings = {
  rounds: intFromEnv('BENCH_ROUNDS', 2, 1),
  // 61.6 MiB: the local object store (s3rver) cannot take an object over 64 MiB (the minio client
  // lists multipart uploads first, which s3rver does not implement); MinIO and S3 can.
  rows: intFromEnv('BENCH_CSV_ROWS', 3_400_000, 1),
  quietSeconds: intFromEnv('BENCH_QUIET_SECONDS', 10, 1),
  // Uploads that send their first bytes and then (almost) nothing, split between two tenants; the
  // default is more than the default pool of parsing threads (at least 3) on a machine of up to 4 CPUs.
  trickles: intFromEnv('BENCH_TRICKLE_UPLOADS', 4, 0),
  trickleProbes: intFromEnv('BENCH_TRICKLE_PROBES', 2, 1),
  repo: path.resolve(process.env['BENCH_CSV_REPO'] ?? path.join(__dirname, '..')),
};

// The stack of the checkout under test (its own @tessera/* packages, resolved from its node_modules).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testing = require(path.join(settings.repo, 'testing/src')) as typeof Testing;

const datasetsPage = 'query { datasets(first: 10) { edges { node { id name } } } }';
const rowBytes = 19;
const header = 'id,value,label\n';

/**
 * The uploading client, in a process of its own so its work is on nobody's event loop: generates
 * fixed-width rows (`00000042,0042.5,l2\n`) in 64 KiB chunks as the socket takes them.
 */
const uploaderScript = `
const https = require('node:https');
const { URL } = require('node:url');
const rows = Number(process.env.ROWS);
const header = ${JSON.stringify(header)};
const url = new URL(process.env.UPLOAD_URL);
const started = performance.now();
const cpu = process.cpuUsage();
const req = https.request({ hostname: url.hostname, port: url.port, path: url.pathname, method: 'PUT', ca: process.env.CA,
  headers: { authorization: 'Bearer ' + process.env.TOKEN, 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(header) + rows * ${rowBytes}) } }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => (body += d));
  res.on('end', () => {
    const used = process.cpuUsage(cpu);
    process.stdout.write(JSON.stringify({ status: res.statusCode, body: body.slice(0, 500), ms: performance.now() - started, cpuMicros: used.user + used.system }));
  });
});
req.on('error', (e) => { process.stdout.write(JSON.stringify({ status: 0, body: String(e), ms: 0, cpuMicros: 0 })); });
let i = 0;
const pad = (n, w) => String(n).padStart(w, '0');
function pump() {
  if (i === 0 && !pump.sentHeader) { pump.sentHeader = true; req.write(header); }
  while (i < rows) {
    let chunk = '';
    const end = Math.min(rows, i + 3400);
    for (; i < end; i++) chunk += pad(i % 1e8, 8) + ',' + pad(i % 9973, 4) + '.5,l' + (i % 10) + '\\n';
    if (!req.write(chunk)) return req.once('drain', pump);
  }
  req.end();
}
pump();
`;

interface UploadOutcome {
  status: number;
  body: string;
  ms: number;
  cpuMicros: number;
}

function runUploader(env: Record<string, string>): { done: Promise<UploadOutcome>; pid: number } {
  const child = spawn(process.execPath, ['-e', uploaderScript], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<UploadOutcome>((resolve, reject) => {
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out) as UploadOutcome);
      } catch {
        reject(new Error(`the uploader exited (${code}) with ${JSON.stringify(out.slice(0, 300))}`));
      }
    });
  });
  return { done, pid: child.pid! };
}

/** CPU of this process's main thread (the subgraphs' event loop), µs, from /proc (Linux). */
function mainThreadCpuMicros(): number {
  try {
    const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** A PUT whose body this process sends piece by piece. */
function streamingPut(url: string, token: string, ca: string | Buffer, declared: number) {
  let req!: ClientRequest;
  const response = new Promise<number>((resolve) => {
    req = httpsRequest(url, { method: 'PUT', ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'content-length': String(declared) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
  return { send: (chunk: Buffer) => void req.write(chunk), end: () => void req.end(), response };
}

/**
 * Uploads trickling in from two tenants, and the quiet tenant's small uploads meanwhile: how long
 * each takes and how it is answered. Returns false when a probe or a trickled upload fails.
 */
async function tricklePhase(stack: Testing.TestStack, gateway: { cpuMicros(): number | undefined }, quietId: string): Promise<boolean> {
  const createDataset = 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }';
  const createUpload = 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { uploadUrl } }';
  const reserve = async (token: string, datasetId: string, byteSize: number) =>
    testing.expectNoErrors(await stack.query<{ createDatasetUpload: { uploadUrl: string } }>(token, createUpload, { input: { datasetId, filename: 'part.csv', byteSize } })).createDatasetUpload.uploadUrl;
  const newDataset = async (token: string, name: string) => testing.expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, createDataset, { input: { name } })).createDataset.id;
  const slowTenants = await Promise.all([stack.createTenant(), stack.createTenant()]);
  const slowTokens = await Promise.all(slowTenants.map((t) => stack.issueToken({ tenant: t.id, roles: ['data_scientist'], tokenTtlSeconds: 3600 })));
  const slowDatasets = await Promise.all(slowTokens.map((token, i) => newDataset(token, `trickle-${i}`)));
  const quietToken = await stack.issueToken({ tenant: quietId, roles: ['data_scientist'], tokenTtlSeconds: 3600 });
  const quietDataset = await newDataset(quietToken, 'probes');
  const head = Buffer.from('a,b\n1,2\n');
  const filler = 100; // line breaks (blank lines, skipped), sent one at a time, one every 10 s at most
  const trickles = await Promise.all(
    Array.from({ length: settings.trickles }, async (_, i) => {
      const owner = i % 2;
      const put = streamingPut(await reserve(slowTokens[owner]!, slowDatasets[owner]!, head.length + filler), slowTokens[owner]!, stack.pki.ca, head.length + filler);
      put.send(head);
      return put;
    }),
  );
  const keepAlive = setInterval(() => trickles.forEach((t) => t.send(Buffer.from('\n'))), 10_000);
  keepAlive.unref();
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the trickled bodies are in the service
  const probe = Buffer.from('x,y\n3,4\n');
  const before = { at: performance.now(), cpu: process.cpuUsage(), main: mainThreadCpuMicros(), gateway: gateway.cpuMicros() ?? Number.NaN };
  const probes: Array<{ status: number; ms: number }> = [];
  for (let i = 0; i < settings.trickleProbes; i++) {
    const started = performance.now();
    const put = streamingPut(await reserve(quietToken, quietDataset, probe.length), quietToken, stack.pki.ca, probe.length);
    put.send(probe);
    put.end();
    probes.push({ status: await put.response, ms: performance.now() - started });
  }
  const seconds = (performance.now() - before.at) / 1000;
  const used = process.cpuUsage(before.cpu);
  const mainCores = (mainThreadCpuMicros() - before.main) / 1e6 / seconds;
  const gatewayCores = ((gateway.cpuMicros() ?? Number.NaN) - before.gateway) / 1e6 / seconds;
  const loadDuring = load();
  clearInterval(keepAlive);
  // Each trickled body was sent a line break at a time: the rest of its filler, then its end.
  const sentBytes = Math.floor((performance.now() - before.at) / 10_000);
  for (const t of trickles) {
    t.send(Buffer.alloc(Math.max(0, filler - sentBytes), 0x0a));
    t.end();
  }
  const finished = await Promise.all(trickles.map((t) => t.response));
  console.log(
    `trickle phase: ${settings.trickles} uploads trickling in from 2 tenants; the quiet tenant's small uploads: ` +
      probes.map((p) => `HTTP ${p.status} in ${fmt(p.ms / 1000, 2)} s`).join(', ') +
      `; cores busy meanwhile: subgraphs' main thread ${fmt(mainCores)}, this process's other threads ${fmt((used.user + used.system) / 1e6 / seconds - mainCores)}, gateway ${fmt(gatewayCores)}; ` +
      `load average ${loadDuring}; the trickled uploads then answered ${finished.map(String).join(' ')}`,
  );
  return probes.every((p) => p.status === 200);
}

const sorted = (results: RunResult[]) => Float64Array.from(results.flatMap((r) => Array.from(r.latenciesMs))).sort();
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(): Promise<number> {
  process.env['TEST_LOG_LEVEL'] ??= 'silent';
  console.log(`Stack of ${settings.repo}; starting it (issuer, S3 server, MariaDB, subgraphs) and a gateway process…`);
  const stack = await testing.startTestStack({ tenantCacheTtlMs: 5000 });
  const gateway = await startGatewayProcess(stack, { tenantCacheTtlMs: 5000, repoRoot: settings.repo });
  const quietLoad = new LoadGenerator(1);
  let failed = false;
  try {
    const bytes = Buffer.byteLength(header) + settings.rows * rowBytes;
    const [quiet, uploader] = await Promise.all([
      stack.createTenant({ limits: { costPerMinute: 10_000_000 } }),
      stack.createTenant({ limits: { maxUploadBytes: bytes, maxStorageBytes: 4 * settings.rounds * bytes } }),
    ]);
    const quietAdmin = await quiet.token('admin');
    for (let i = 0; i < 10; i++) testing.expectNoErrors(await stack.query(quietAdmin, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: `ds-${i}` } }));
    const quietToken = await stack.issueToken({ tenant: quiet.id, roles: ['viewer'], tokenTtlSeconds: 3600 });
    const uploaderToken = await stack.issueToken({ tenant: uploader.id, roles: ['data_scientist'], tokenTtlSeconds: 3600 });
    const datasetId = testing.expectNoErrors(
      await stack.query<{ createDataset: { id: string } }>(uploaderToken, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: 'big' } }),
    ).createDataset.id;
    const page = testing.expectNoErrors(await stack.query<{ datasets: { edges: Array<{ node: { name: string } }> } }>(quietToken, datasetsPage));
    const expect: ResponseExpectation = { kind: 'datasets', names: page.datasets.edges.map((edge) => edge.node.name) };
    const target: LoadTarget = { name: 'quiet datasets', url: gateway.graphqlUrl, tls: { ca: stack.pki.ca }, headers: { authorization: `Bearer ${quietToken}` }, body: JSON.stringify({ query: datasetsPage }) };
    const phase = () => quietLoad.runExpecting(target, 1_000_000, expect, 1, 1_000);

    console.log(`Node ${process.version}, ${availableParallelism()} CPUs; ${settings.rounds} round(s); upload: ${settings.rows} rows, ${fmt(bytes / 2 ** 20, 1)} MiB; quiet: one datasets page at a time`);
    for (let i = 0; i < 3; i++) await phase(); // warm-up

    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    for (let round = 1; round <= settings.rounds; round++) {
      delay.reset();
      const alone: RunResult[] = [];
      for (let s = 0; s < settings.quietSeconds; s++) alone.push(await phase());
      const delayAlone = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
      const loadAlone = load();

      const upload = testing.expectNoErrors(
        await stack.query<{ createDatasetUpload: { uploadUrl: string } }>(uploaderToken, 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { uploadUrl } }', {
          input: { datasetId, filename: 'big.csv', byteSize: bytes },
        }),
      ).createDatasetUpload;
      delay.reset();
      const before = { at: performance.now(), cpu: process.cpuUsage(), main: mainThreadCpuMicros(), gateway: gateway.cpuMicros() ?? Number.NaN };
      const client = runUploader({ UPLOAD_URL: upload.uploadUrl, TOKEN: uploaderToken, CA: stack.pki.ca.toString(), ROWS: String(settings.rows) });
      let uploading = true;
      const outcome = client.done.finally(() => (uploading = false));
      const during: RunResult[] = [];
      while (uploading) during.push(await phase());
      const result = await outcome;
      const seconds = (performance.now() - before.at) / 1000;
      const used = process.cpuUsage(before.cpu);
      const mainCores = (mainThreadCpuMicros() - before.main) / 1e6 / seconds;
      const processCores = (used.user + used.system) / 1e6 / seconds;
      const gatewayCores = ((gateway.cpuMicros() ?? Number.NaN) - before.gateway) / 1e6 / seconds;
      const delayDuring = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
      if (result.status !== 200) {
        failed = true;
        console.error(`round ${round}: the upload failed: HTTP ${result.status} ${result.body}`);
      }
      const a = sorted(alone);
      const d = sorted(during);
      const errors = [...alone, ...during].reduce((n, r) => n + r.errors, 0);
      if (errors > 0) failed = true;
      console.log(
        `round ${round}: quiet tenant p50 ${fmt(percentile(a, 50), 1)} → ${fmt(percentile(d, 50), 1)} ms, p99 ${fmt(percentile(a, 99), 1)} → ${fmt(percentile(d, 99), 1)} ms ` +
          `(${a.length} requests alone, ${d.length} during the upload; ${errors} errors); ` +
          `upload HTTP ${result.status} in ${fmt(result.ms / 1000, 1)} s (${fmt(settings.rows / (result.ms / 1000) / 1e6, 2)} M rows/s); ` +
          `subgraphs' event-loop delay p99 ${fmt(delayAlone.p99, 1)} → ${fmt(delayDuring.p99, 1)} ms, max ${fmt(delayAlone.max, 1)} → ${fmt(delayDuring.max, 1)} ms; ` +
          `cores busy during the upload: subgraphs' main thread ${fmt(mainCores)}, this process's other threads ${fmt(processCores - mainCores)}, gateway ${fmt(gatewayCores)}, uploader ${fmt(result.cpuMicros / 1e6 / seconds)}; ` +
          `load average alone ${loadAlone}, after the upload ${load()}`,
      );
    }
    delay.disable();
    if (settings.trickles > 0 && !(await tricklePhase(stack, gateway, quiet.id))) failed = true;
    return failed ? 1 : 0;
  } finally {
    await quietLoad.close();
    await gateway.stop();
    await stack.stop();
  }
}

runBench(main);

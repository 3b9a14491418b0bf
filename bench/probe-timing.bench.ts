/**
 * `npm run bench:probe-timing` — does the time of a NOT_FOUND answer tell tenant B whether an id it
 * guessed belongs to another tenant? B asks for A's dataset, model and dataset version by id, and
 * for ids nobody holds, alternating one by one so both see the same machine; the answers must be
 * the same NOT_FOUND, and their latencies should not differ. Prints p50/p90 of each kind per
 * handle and the difference of medians, with the load average and the process's CPU per request.
 * (Recording the attempt before answering made another tenant's id 3–6 ms slower to refuse.)
 *
 * Environment: BENCH_PROBES (400 per kind and handle), BENCH_ROUNDS (2).
 * Exits non-zero if an answer is anything but NOT_FOUND; never on the timing.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { buildLinearRegression } from '@tessera/onnx';
import { errorCodes, expectNoErrors, postGraphQL, startTestStack } from '@tessera/testing';
import { fmt, intFromEnv, percentile, runBench, uploadModel } from './support';

const probes = intFromEnv('BENCH_PROBES', 400, 20);
const rounds = intFromEnv('BENCH_ROUNDS', 2, 1);

const handles = {
  dataset: 'query($id: ID!) { dataset(id: $id) { id } }',
  datasetVersion: 'query($id: ID!) { datasetVersion(id: $id) { id } }',
  model: 'query($id: ID!) { model(id: $id) { id } }',
} as const;

runBench(async () => {
  const stack = await startTestStack();
  try {
    const [a, b] = [await stack.createTenant(), await stack.createTenant()];
    const aAdmin = await a.token('admin');
    const bViewer = await b.token('viewer');
    const dataset = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(aAdmin, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: 'a-private' } })).createDataset.id;
    const upload = expectNoErrors(await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(aAdmin, 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }', { input: { datasetId: dataset, filename: 'a.csv', byteSize: 8 } })).createDatasetUpload;
    await fetch(upload.uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${aAdmin}`, 'content-type': 'text/csv' }, body: 'x,y\n1,2\n' });
    const version = expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(aAdmin, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', { id: upload.id })).completeDatasetUpload.id;
    const model = await uploadModel(stack, aAdmin, buildLinearRegression({ weights: [1, 2], bias: 0 }), 'a-model');
    const theirs: Record<keyof typeof handles, string> = { dataset, datasetVersion: version, model };

    console.log(`bench:probe-timing  ${probes} probes per kind and handle × ${rounds} rounds, in-process stack, load average ${loadavg().map((l) => fmt(l)).join(' ')}`);
    let failures = 0;
    for (let round = 1; round <= rounds; round += 1) {
      for (const [handle, query] of Object.entries(handles) as Array<[keyof typeof handles, string]>) {
        const times = { theirs: new Float64Array(probes), nobodys: new Float64Array(probes) };
        const cpuBefore = process.cpuUsage();
        for (let i = 0; i < probes; i += 1) {
          for (const kind of (i % 2 === 0 ? ['theirs', 'nobodys'] : ['nobodys', 'theirs']) as Array<'theirs' | 'nobodys'>) {
            const id = kind === 'theirs' ? theirs[handle] : randomUUID();
            const started = performance.now();
            const answer = await postGraphQL(stack.graphqlUrl, bViewer, query, { id });
            times[kind][i] = performance.now() - started;
            if (errorCodes(answer).join() !== 'NOT_FOUND') failures += 1;
          }
        }
        const cpu = process.cpuUsage(cpuBefore);
        const sorted = { theirs: times.theirs.sort(), nobodys: times.nobodys.sort() };
        const p50 = (kind: 'theirs' | 'nobodys') => percentile(sorted[kind], 50);
        console.log(
          `round ${round} ${handle.padEnd(14)} A's id p50 ${fmt(p50('theirs'))} ms p90 ${fmt(percentile(sorted.theirs, 90))} ms | nobody's p50 ${fmt(p50('nobodys'))} ms p90 ${fmt(percentile(sorted.nobodys, 90))} ms | difference of medians ${fmt(p50('theirs') - p50('nobodys'))} ms | process CPU ${fmt((cpu.user + cpu.system) / (2 * probes), 0)} µs/request | load ${fmt(loadavg()[0]!)}`,
        );
      }
    }
    if (failures > 0) console.error(`${failures} answers were not NOT_FOUND`);
    return failures > 0 ? 1 : 0;
  } finally {
    await stack.stop();
  }
});

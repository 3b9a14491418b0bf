import { setTimeout as sleep } from 'node:timers/promises';
import { expectNoErrors, startTestStack, type TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';
import { cancelJob, jobView, portRelay, submitProfile, uploadDataset, waitForStatus, type JobView } from './job-support';

/** A CSV of `rows` rows of `columns` distinct text values: slow to profile per row. */
function wideCsv(rows: number, columns: number): string {
  const lines = [Array.from({ length: columns }, (_, c) => `c${c}`).join(',')];
  for (let r = 0; r < rows; r++) lines.push(Array.from({ length: columns }, (_, c) => `v${r}_${c}`).join(','));
  return lines.join('\n') + '\n';
}

/**
 * Cancelling a running job: it stops where it is and leaves nothing behind, whenever the cancel
 * arrives, including after the processor's last progress report (real worker, gateway, services).
 */
describe('jobs: a cancelled running job stops and stores no result', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;
  // The worker reaches the datasets and jobs ports through relays, for the test that holds its run.
  let datasets: TcpSwitch;
  let jobs: TcpSwitch;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
    scientist = await tenant.token('data_scientist');
    const ports = await Promise.all([portRelay(stack, 'datasets'), portRelay(stack, 'jobs')]);
    [datasets, jobs] = ports.map((port) => port.relay) as [TcpSwitch, TcpSwitch];
    // Locks (and so grants) of 30 s: no renewal call to the jobs port while a run is held.
    await stack.workers.start({ concurrency: 1, lockMs: 30_000, env: { ...ports[0].env, ...ports[1].env } });
  });
  afterAll(async () => {
    await stack?.workers.stopAll();
    await datasets?.off();
    await jobs?.off();
    await stack?.stop();
  });

  /**
   * Submits a PROFILE, waits until the worker reads the rows, cancels it, and returns how it ended.
   * `afterReport`: the cancel lands after the run's 'reading' report is recorded and before the run
   * goes on, whatever the machine's speed: the run's data open waits at the datasets relay (so the
   * jobs port is idle), then its report reaches the jobs service, which records it, while the
   * answer waits at the jobs relay until the cancel is made.
   */
  async function cancelWhileReading(csv: string, afterReport = false): Promise<{ ended: JobView; rowCount: number }> {
    const { versionId } = await uploadDataset(stack, scientist, `wide-${Date.now()}`, csv);
    const opening = afterReport ? datasets.hold().held : undefined;
    const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    if (opening) {
      await opening;
      const reported = jobs.holdAnswers().held;
      datasets.release();
      await reported;
    }
    for (let view = await jobView(stack, scientist, job.id); view.phase !== 'reading'; view = await jobView(stack, scientist, job.id)) {
      if (!['QUEUED', 'RUNNING'].includes(view.status)) throw new Error(`the job ended ${view.status} before it was seen reading`);
      await sleep(10);
    }
    const cancelling = expectNoErrors(await stack.query<{ cancelJob: JobView }>(scientist, cancelJob, { id: job.id })).cancelJob;
    expect(cancelling).toMatchObject({ status: 'RUNNING', cancelRequested: true });
    jobs.release();
    return { ended: await waitForStatus(stack, scientist, job.id, ['CANCELLED', 'SUCCEEDED', 'FAILED']), rowCount: csv.split('\n').length - 2 };
  }

  it('a PROFILE cancelled while it reads 3 000 wide rows stops before the end of the data, CANCELLED without a result', async () => {
    const { ended, rowCount } = await cancelWhileReading(wideCsv(3000, 200));
    expect(ended).toMatchObject({ status: 'CANCELLED', phase: 'cancelled', result: null, error: null });
    // It saw the cancel in one of its reading reports, part way through the rows.
    const rows = ended.metrics?.find((m) => m.name === 'rows')?.value ?? 0;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(rowCount);
  }, 120_000);

  it('a PROFILE cancelled after its last progress report (99 wide rows, read without one) ends CANCELLED, not SUCCEEDED', async () => {
    const { ended } = await cancelWhileReading(wideCsv(99, 999), true);
    expect(ended).toMatchObject({ status: 'CANCELLED', phase: 'cancelled', result: null, error: null });
  }, 120_000);
});

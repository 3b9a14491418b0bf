import { ConfigError } from '@tessera/config';
import type { RingSignals } from '@tessera/job-queue';
import { decideWorkers, readSupervisorEnvironment, restartDelayMs } from '@tessera/workers';

const signals = (over: Partial<RingSignals> = {}): RingSignals => ({ ring: 'shared-us-east-1', queued: 0, running: 0, delayed: 0, oldestWaitMs: 0, tenants: 0, ...over });

/** The supervisor's configuration (parsed once, every problem named) and its scaling and backoff rules. */
describe('worker supervisor configuration and decisions', () => {
  it('has working defaults and reads per-ring limits', () => {
    const config = readSupervisorEnvironment({ SUPERVISOR_RING_LIMITS: '{"dedicated-globex":{"min":2,"max":2}}' });
    expect(config).toMatchObject({ defaults: { min: 1, max: 4 }, rings: { 'dedicated-globex': { min: 2, max: 2 } }, queuedPerWorker: 4, maxWaitMs: 10_000, idleMs: 60_000, restartBackoffMs: 1_000, restartBackoffMaxMs: 60_000 });
  });

  it('refuses limits that cannot hold, naming every variable at once', () => {
    let error: unknown;
    try {
      readSupervisorEnvironment({ SUPERVISOR_MIN_WORKERS: '5', SUPERVISOR_MAX_WORKERS: '2', SUPERVISOR_RING_LIMITS: '{"dedicated-a":{"min":3,"max":1}}', SUPERVISOR_RESTART_BACKOFF_MS: '5000', SUPERVISOR_RESTART_BACKOFF_MAX_MS: '1000' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'SUPERVISOR_MIN_WORKERS: 5 is above SUPERVISOR_MAX_WORKERS (2)',
      'SUPERVISOR_RING_LIMITS: dedicated-a: min 3 is above max 1',
      'SUPERVISOR_RESTART_BACKOFF_MAX_MS: 1000 is below SUPERVISOR_RESTART_BACKOFF_MS (5000)',
    ]);
    expect(() => readSupervisorEnvironment({ SUPERVISOR_MAX_WORKERS: '0' })).toThrow(/SUPERVISOR_MAX_WORKERS: must be at least 1/);
    expect(() => readSupervisorEnvironment({ SUPERVISOR_MIN_WORKERS: 'many' })).toThrow(/SUPERVISOR_MIN_WORKERS/);
    expect(() => readSupervisorEnvironment({ SUPERVISOR_RING_LIMITS: 'not json' })).toThrow(/SUPERVISOR_RING_LIMITS: must be JSON/);
    expect(() => readSupervisorEnvironment({ SUPERVISOR_RING_LIMITS: '{"globex":{"min":1,"max":2}}' })).toThrow(/shared-<region> or dedicated-<tenant>/);
    expect(() => readSupervisorEnvironment({ SUPERVISOR_RING_LIMITS: '{"dedicated-a":{"min":1,"max":2,"extra":1}}' })).toThrow(/SUPERVISOR_RING_LIMITS/);
  });

  const config = { queuedPerWorker: 4, maxWaitMs: 10_000, idleMs: 60_000 };
  const limits = { min: 1, max: 5 };

  it('scales up on queue depth (ceil(queued / per worker)) and on the oldest wait, never above max', () => {
    expect(decideWorkers({ current: 1, signals: signals({ queued: 9 }), limits, now: 0, state: { idleSince: undefined } }, config)).toMatchObject({ desired: 3, reason: 'queued' });
    expect(decideWorkers({ current: 1, signals: signals({ queued: 100 }), limits, now: 0, state: { idleSince: undefined } }, config)).toMatchObject({ desired: 5, reason: 'limits' });
    expect(decideWorkers({ current: 2, signals: signals({ queued: 1, oldestWaitMs: 15_000 }), limits, now: 0, state: { idleSince: undefined } }, config)).toMatchObject({ desired: 3, reason: 'wait' });
    expect(decideWorkers({ current: 5, signals: signals({ queued: 1, oldestWaitMs: 15_000 }), limits, now: 0, state: { idleSince: undefined } }, config).desired).toBe(5);
  });

  it('never shrinks a busy ring; goes back to min after the idle period', () => {
    expect(decideWorkers({ current: 4, signals: signals({ running: 1 }), limits, now: 0, state: { idleSince: undefined } }, config)).toMatchObject({ desired: 4, idleSince: undefined });
    const idle = decideWorkers({ current: 4, signals: signals(), limits, now: 1_000, state: { idleSince: undefined } }, config);
    expect(idle).toMatchObject({ desired: 4, idleSince: 1_000 });
    expect(decideWorkers({ current: 4, signals: signals(), limits, now: 61_000, state: idle }, config)).toMatchObject({ desired: 1, reason: 'idle' });
    // Work arriving during the idle period resets it.
    expect(decideWorkers({ current: 4, signals: signals({ delayed: 1 }), limits, now: 30_000, state: idle }, config).idleSince).toBeUndefined();
  });

  it('backs off restarts exponentially while workers keep dying, capped', () => {
    const backoff = { restartBackoffMs: 1_000, restartBackoffMaxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 50].map((deaths) => restartDelayMs(deaths, backoff))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});

import { createLogger } from '@tessera/config';
import { JobTimeLimitExceeded, withinRunLimit } from '@tessera/workers';

type Outcome = Awaited<Parameters<typeof withinRunLimit>[1]>;

/**
 * The runner's bound on a run that does not reach a checkpoint (a hung call, a trickling read),
 * without services: the processor's promise is one the test settles itself.
 */
describe('a run past its bound that reaches no checkpoint', () => {
  const logger = createLogger('error');
  const deferred = () => {
    let resolve!: (outcome: Outcome) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<Outcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  const past = { deadline: Date.now() - 1, runLimitSeconds: 2 };
  const future = { deadline: Date.now() + 3_600_000, runLimitSeconds: 3600 };

  it('is ended with JobTimeLimitExceeded naming the limit, without waiting for the processor', async () => {
    const never = deferred();
    const error = await withinRunLimit(past, never.promise, logger, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobTimeLimitExceeded);
    expect((error as JobTimeLimitExceeded).limitSeconds).toBe(2);
    expect((error as Error).message).toContain('maxJobRunSeconds');
  });

  it('abandons an outcome the processor hands back after that, and never registers it', async () => {
    const late = deferred();
    const calls: string[] = [];
    const commit = async () => void calls.push('commit');
    const abandon = async () => void calls.push('abandon');
    await expect(withinRunLimit(past, late.promise, logger, 0)).rejects.toBeInstanceOf(JobTimeLimitExceeded);
    late.resolve({ result: {}, commit, abandon });
    await late.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['abandon']);
  });

  it('swallows a failure the processor meets after that (its next checkpoint throws)', async () => {
    const late = deferred();
    await expect(withinRunLimit(past, late.promise, logger, 0)).rejects.toBeInstanceOf(JobTimeLimitExceeded);
    late.reject(new JobTimeLimitExceeded(2));
    await expect(late.promise.catch(() => 'handled')).resolves.toBe('handled');
  });

  it('leaves a run within its bound alone: its outcome, or its own error, as the processor gave it', async () => {
    const outcome: Outcome = { result: { ok: true } };
    await expect(withinRunLimit(future, Promise.resolve(outcome), logger)).resolves.toBe(outcome);
    const own = new Error('the processor failed');
    await expect(withinRunLimit(future, Promise.reject(own), logger)).rejects.toBe(own);
  });
});

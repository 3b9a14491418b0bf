import { randomUUID } from 'node:crypto';
import { orHung, startTestStack, type TestStack } from '@tessera/testing';
import { apartFromLockHolder, lockHoldersAtOnce, lockHoldersPerTenant, withAdvisoryLock, withAdvisoryLockIfFree } from '../src';

/**
 * Advisory locks are held on connections of the pool the work under them also queries. However
 * many callers take locks at once, every one finishes: the holders never take every connection
 * between them, also with a lock taken under another one.
 */
const callers = 12;

describe('advisory locks and the pool', () => {
  let stack: TestStack;
  let hung = false;
  const db = () => stack.platform.runtime.db;
  const lock = { waitSeconds: 5, busyMessage: 'busy' };

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    // A stack whose pool is deadlocked never stops; leaving it lets jest report the failure.
    if (stack && !hung) await stack.stop();
  });

  it('at most a few holders at once, fewer than half the pool (the test stack has 8 connections)', () => {
    expect(lockHoldersAtOnce(db())).toBe(3);
    expect(lockHoldersPerTenant(db())).toBe(1);
  });

  it("one tenant's locks hold at most its share of the turns: another tenant's lock runs while they are all still held", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holdingForA = 0;
    let mostForA = 0;
    // Tenant A: more long holders than there are turns (an admin's exports, say), each on a lock of its own.
    const aHolders = Array.from({ length: 5 }, () =>
      withAdvisoryLock(db(), `tessera_test:${randomUUID()}`, { ...lock, tenantId: 'tenant-a' }, async () => {
        holdingForA += 1;
        mostForA = Math.max(mostForA, holdingForA);
        await gate;
        holdingForA -= 1;
      }),
    );
    try {
      while (holdingForA === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      // Tenant B's lock, and one about no tenant, run while every one of A's is still held up.
      const others = await orHung(
        Promise.all([
          withAdvisoryLock(db(), `tessera_test:${randomUUID()}`, { ...lock, tenantId: 'tenant-b' }, async () => 'b'),
          withAdvisoryLockIfFree(db(), `tessera_test:${randomUUID()}`, async () => 'system'),
        ]),
        10_000,
      );
      expect(others).toEqual(['b', { ran: true, value: 'system' }]);
      expect(mostForA).toBe(lockHoldersPerTenant(db()));
    } finally {
      release();
    }
    await Promise.all(aHolders);
    expect(mostForA).toBe(lockHoldersPerTenant(db()));
  });

  it('more holders at once than the pool has connections, each querying the pool under its lock, all finish', async () => {
    let holding = 0;
    let most = 0;
    const outcome = await orHung(
      Promise.all(
        Array.from({ length: callers }, (_, index) =>
          withAdvisoryLock(db(), `tessera_test:${randomUUID()}`, lock, async () => {
            holding += 1;
            most = Math.max(most, holding);
            try {
              const [row] = (await db().query('SELECT ? AS n', [index])) as Array<{ n: number }>;
              return Number(row?.n);
            } finally {
              holding -= 1;
            }
          }),
        ),
      ),
      30_000,
    );
    hung = outcome === 'hung';
    expect(outcome).toEqual(Array.from({ length: callers }, (_, index) => index));
    expect(most).toBeLessThanOrEqual(lockHoldersAtOnce(db()));
  });

  it('a lock taken under another one, by as many callers at once, runs in its holder’s turn and finishes', async () => {
    const outcome = await orHung(
      Promise.all(
        Array.from({ length: callers }, (_, index) =>
          withAdvisoryLock(db(), `tessera_test:${randomUUID()}`, lock, () =>
            withAdvisoryLockIfFree(db(), `tessera_test:${randomUUID()}`, async () => {
              const [row] = (await db().query('SELECT ? AS n', [index])) as Array<{ n: number }>;
              return Number(row?.n);
            }),
          ),
        ),
      ),
      30_000,
    );
    hung = hung || outcome === 'hung';
    expect(outcome).toEqual(Array.from({ length: callers }, (_, index) => ({ ran: true, value: index })));
  });

  it('work a holder starts and leaves running takes a turn of its own', async () => {
    let holding = 0;
    let most = 0;
    const counted = async <T>(fn: () => Promise<T>): Promise<T> => {
      holding += 1;
      most = Math.max(most, holding);
      try {
        return await fn();
      } finally {
        holding -= 1;
      }
    };
    const started: Array<Promise<number>> = [];
    const outcome = await orHung(
      Promise.all(
        Array.from({ length: callers }, (_, index) =>
          withAdvisoryLock(db(), `tessera_test:${randomUUID()}`, lock, () =>
            counted(async () => {
              started.push(
                apartFromLockHolder(() =>
                  withAdvisoryLock(db(), `tessera_test:${randomUUID()}`, lock, () =>
                    counted(async () => {
                      const [row] = (await db().query('SELECT ? AS n', [index])) as Array<{ n: number }>;
                      return Number(row?.n);
                    }),
                  ),
                ),
              );
              await db().query('SELECT 1');
            }),
          ),
        ).map((holder) => holder.then(() => undefined)),
      ).then(() => Promise.all(started)),
      30_000,
    );
    hung = hung || outcome === 'hung';
    expect(outcome === 'hung' ? outcome : [...outcome].sort((a, b) => a - b)).toEqual(Array.from({ length: callers }, (_, index) => index));
    expect(most).toBeLessThanOrEqual(lockHoldersAtOnce(db()));
  });

  it('the lock’s own connection answers the work under it', async () => {
    const name = `tessera_test:${randomUUID()}`;
    const holder = await withAdvisoryLock(db(), name, lock, async (manager) => {
      const [row] = (await manager.query('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine', [name])) as Array<{ mine: number }>;
      return Number(row?.mine);
    });
    expect(holder).toBe(1);
  });
});

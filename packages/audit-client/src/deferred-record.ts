/**
 * Audit writes about a request that must not change how long its answer takes. A probe of another
 * tenant's id is answered NOT_FOUND exactly like an id nobody holds; if recording the attempt (a
 * transaction with two inserts and a commit) ran before the answer, the answer's time alone would
 * tell a caller which ids exist in other tenants. So the record is written right after, in the
 * background of this process, and the answer waits only for what both cases share.
 *
 * The background is bounded: past `maxPending` unwritten records a new one waits for a slot before
 * the answer goes out. That wait depends on how many records are pending, never on whether this
 * one is a cross-tenant attempt, so it tells the caller nothing. A service closes only after every
 * pending record is written (settleDeferredRecords in its shutdown); a crash in the moment between
 * an answer and its record loses that record.
 */
const maxPending = 256;
const pending = new Set<Promise<void>>();

export async function recordAfterAnswer(write: () => Promise<void>): Promise<void> {
  while (pending.size >= maxPending) await Promise.race(pending);
  const task: Promise<void> = write()
    .catch((error: unknown) => {
      process.emitWarning(`could not record a cross-tenant attempt: ${error instanceof Error ? error.message : String(error)}`, 'TesseraAuditWarning');
    })
    .finally(() => pending.delete(task));
  pending.add(task);
}

/** How many records are scheduled and not yet written (nor failed). */
export function pendingDeferredRecords(): number {
  return pending.size;
}

/** Resolves once every record scheduled so far (and any scheduled meanwhile) is written or has failed. */
export async function settleDeferredRecords(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

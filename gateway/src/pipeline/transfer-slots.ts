import { TesseraError } from '@tessera/errors';
import { BoundedCounter } from './bounded-counter';
import type { ReleaseSlot } from './tenant-concurrency';

/**
 * At most `perTenant` of a tenant's uploads and downloads stream through this gateway replica at
 * once; one more is refused at once (RATE_LIMITED), never queued. Every stream holds a connection
 * of the pool the gateway shares between all tenants for that subgraph, for as long as its client
 * takes: without this, one tenant opening a hundred uploads and sending nothing would leave every
 * other tenant's uploads and downloads waiting for a connection.
 */
export class TransferSlots {
  private readonly open = new BoundedCounter();

  constructor(private readonly perTenant: number) {}

  acquire(key: string): ReleaseSlot {
    const release = this.open.acquire(key, this.perTenant);
    if (!release) {
      throw new TesseraError('RATE_LIMITED', `Your tenant already has ${this.open.count(key)} uploads and downloads in progress on this gateway (at most ${this.perTenant} at once); retry when one has finished.`, {
        retryAfterSeconds: 1,
        limit: 'concurrentTransfers',
        limitValue: this.perTenant,
      });
    }
    return release;
  }

  /** A tenant's uploads and downloads in progress on this replica (tests). */
  inFlight(key: string): number {
    return this.open.count(key);
  }
}

/** Uploads and downloads one tenant may have in progress at once on a gateway replica. */
export const defaultTransfersPerTenant = 8;

/** How long an upload's body or a download's client may move no bytes before the stream is given up. */
export const defaultTransferIdleTimeoutMs = 30_000;

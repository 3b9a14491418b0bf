import { TesseraError } from '@tessera/errors';
import type { ReleaseSlot } from './tenant-concurrency';

/**
 * At most `perTenant` of a tenant's uploads and downloads stream through this gateway replica at
 * once; one more is refused at once (RATE_LIMITED), never queued. Every stream holds a connection
 * of the pool the gateway shares between all tenants for that subgraph, for as long as its client
 * takes: without this, one tenant opening a hundred uploads and sending nothing would leave every
 * other tenant's uploads and downloads waiting for a connection.
 */
export class TransferSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly perTenant: number) {}

  acquire(key: string): ReleaseSlot {
    const open = this.open.get(key) ?? 0;
    if (open >= this.perTenant) {
      throw new TesseraError('RATE_LIMITED', `Your tenant already has ${open} uploads and downloads in progress on this gateway (at most ${this.perTenant} at once); retry when one has finished.`, {
        retryAfterSeconds: 1,
        limit: 'concurrentTransfers',
        limitValue: this.perTenant,
      });
    }
    this.open.set(key, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }

  /** A tenant's uploads and downloads in progress on this replica (tests). */
  inFlight(key: string): number {
    return this.open.get(key) ?? 0;
  }
}

/** Uploads and downloads one tenant may have in progress at once on a gateway replica. */
export const defaultTransfersPerTenant = 8;

/** How long an upload's body or a download's client may move no bytes before the stream is given up. */
export const defaultTransferIdleTimeoutMs = 30_000;

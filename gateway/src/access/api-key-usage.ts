import type { Logger } from '@tessera/config';
import type { AccessDirectory, ApiKeyUse } from '@tessera/tenants/ports';

/**
 * Each key's last use, kept in memory and written every `flushIntervalMs` (one statement per key
 * used since): a request never waits for a write, and a key used a thousand times a second costs
 * one write per interval. What is still in memory when the process dies is lost: last use is a
 * review aid (the audit trail holds what the key did), accurate to the interval.
 */
export class ApiKeyUsageRecorder {
  private pending = new Map<string, ApiKeyUse>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly directory: AccessDirectory,
    private readonly logger: Logger,
    private readonly flushIntervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  record(keyId: string, sourceIp: string | undefined, usedAt = new Date()): void {
    this.pending.set(keyId, { keyId, usedAt, sourceIp });
  }

  /** Writes what was used since the last flush (tests call it; shutdown does). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      try {
        await this.directory.recordKeyUses(batch);
      } catch (error) {
        // Kept for the next flush, unless the key was used again meanwhile (that use is newer).
        for (const use of batch) if (!this.pending.has(use.keyId)) this.pending.set(use.keyId, use);
        this.logger.warn('could not record API key usage; retrying at the next flush', { error: error instanceof Error ? error.message : String(error) });
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

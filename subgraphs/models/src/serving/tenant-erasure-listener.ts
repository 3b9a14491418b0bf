import { Redis } from 'ioredis';
import { redisConnectionOptions, resubscribeAfterReconnect, subscriberConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { parseTenantErased, tenantErasedChannel } from '@tessera/tenants/ports';

/** What this replica holds of a tenant in memory, and how to tell a tenant that no longer exists. */
export interface ErasureTargets {
  /** The tenants with inference pools here. */
  tenantIds(): string[];
  /** Drops the tenant's pools (processes, ONNX sessions), cached model files and unwrapped keys. */
  forgetTenant(tenantId: string): Promise<void>;
  /** Whether the tenant is still in the control plane (read past any cache). */
  exists(tenantId: string): Promise<boolean>;
}

/**
 * Listens for the tenants service's erasure announcements and drops what this models replica holds
 * of the erased tenant. Each replica subscribes, so every process hears it. After an interruption
 * of the subscription (announcements may have been missed), it reconciles instead: every tenant it
 * holds a pool for that no longer exists is dropped. So a replica never keeps an erased tenant's
 * model in memory longer than its reconnection, whether or not it heard the message.
 */
export class TenantErasureListener {
  private readonly client: Redis;
  private connectedOnce = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly targets: ErasureTargets,
    private readonly redis: RedisConfig,
    private readonly logger: Logger,
  ) {
    this.client = new Redis(redis.url, { ...redisConnectionOptions(redis), ...subscriberConnectionOptions, connectionName: `${redis.keyPrefix}:models-erasure`, lazyConnect: true });
    this.client.on('error', () => undefined); // reconnects by itself
    this.client.on('message', (_channel: string, message: string) => {
      const erased = parseTenantErased(message);
      if (erased) this.track(this.forget(erased.tenantId, 'announced'));
    });
    this.client.on('ready', () => {
      if (this.connectedOnce) this.track(this.reconcile());
      this.connectedOnce = true;
    });
    resubscribeAfterReconnect(this.client, () => [tenantErasedChannel(this.redis.keyPrefix)], (error) =>
      this.logger.warn('erasures are no longer announced to this models replica (Redis refused the subscription); it reconciles at its next reconnection', { error: error instanceof Error ? error.message : String(error) }),
    );
  }

  async start(): Promise<void> {
    try {
      await this.client.connect();
      await this.client.subscribe(tenantErasedChannel(this.redis.keyPrefix));
    } catch (error) {
      this.logger.warn('erasures are not announced to this models replica (Redis); it reconciles when Redis is back', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /**
   * Drops every pool of a tenant that is gone from the control plane. A tenant whose lookup fails
   * (the control plane unreachable) is logged and kept until the next reconciliation; the others
   * are still checked.
   */
  async reconcile(): Promise<void> {
    for (const tenantId of this.targets.tenantIds()) {
      let exists: boolean;
      try {
        exists = await this.targets.exists(tenantId);
      } catch (error) {
        this.logger.warn('could not check whether a tenant still exists; its pools stay until the next reconciliation', { tenantId, error: error instanceof Error ? error.message : String(error) });
        continue;
      }
      if (!exists) await this.forget(tenantId, 'reconciled');
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
    await Promise.allSettled([...this.pending]);
  }

  private async forget(tenantId: string, how: 'announced' | 'reconciled'): Promise<void> {
    try {
      await this.targets.forgetTenant(tenantId);
      this.logger.info('erased tenant dropped from inference', { tenantId, how });
    } catch (error) {
      this.logger.error('could not drop an erased tenant from inference', { tenantId, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    // The work logs its own failures; this only keeps a rejection from ending the process.
    void work
      .catch((error: unknown) => this.logger.error('erasure listener task failed', { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => this.pending.delete(work));
  }
}

import type { Logger } from '@tessera/config';
import { isKeyProviderError } from '@tessera/key-provider';
import { LegacyWrappedKeyError, type TenantKeyring, type TenantStore } from '@tessera/tenancy';

export interface TenantKeyAdoptionDeps {
  tenants: Pick<TenantStore, 'listStatuses'>;
  keyring: Pick<TenantKeyring, 'singleLayerVersions' | 'adoptTenantKey'>;
  logger: Logger;
}

/** How long a pass that could not adopt every tenant (a provider outage) waits before the next. */
export const defaultAdoptionRetryMs = 60_000;

/** What one pass did. */
export interface AdoptionPass {
  /** Tenants whose single-layer rows now sit under their own provider key. */
  adopted: string[];
  /** Tenants with rows the retired master key still wraps (`tessera keys import-master-key` first). */
  legacy: string[];
  /** Tenants with rows the key provider does not open (another deployment's, or damaged): logged, not retried. */
  unreadable: string[];
  /** Tenants the pass could not finish, the provider being unreachable (retried). */
  failed: string[];
}

/**
 * Moves every tenant provisioned before per-tenant keys under its own provider key
 * (`TenantKeyring.adoptTenantKey`: same data keys, objects stay readable), once, after the tenants
 * service starts, and again after a pass that could not finish. Before, nothing called the
 * adoption: such a tenant's data keys stayed wrapped by the platform KEK alone, so erasing it
 * destroyed no key at all (its `tessera-tenant-<id>` never existed) while the receipt listed one as
 * destroyed, and a backup of its key rows and objects still decrypted. Every replica may run it:
 * the adoption is idempotent (the key's creation too) and moves each row with a compare-and-set.
 * A tenant is checked from its rows: one unwrap at the key provider per data-key version.
 */
export class TenantKeyAdoption {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: TenantKeyAdoptionDeps,
    private readonly retryMs = defaultAdoptionRetryMs,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every tenant. */
  async run(): Promise<AdoptionPass> {
    return this.adoptAll();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.run()
        .then((pass) => {
          if (pass.failed.length > 0) this.schedule(this.retryMs);
        })
        .catch((error: unknown) => {
          this.deps.logger.warn('tenant key adoption failed; will retry', { error: error instanceof Error ? error.message : String(error), retryInMs: this.retryMs });
          this.schedule(this.retryMs);
        })
        .finally(() => {
          this.running = undefined;
        });
    }, delayMs);
    this.timer.unref();
  }

  private async adoptAll(): Promise<AdoptionPass> {
    const pass: AdoptionPass = { adopted: [], legacy: [], unreadable: [], failed: [] };
    for (const { id } of await this.deps.tenants.listStatuses()) {
      if (this.stopped) break;
      try {
        if ((await this.deps.keyring.singleLayerVersions(id)).length === 0) continue;
        const moved = await this.deps.keyring.adoptTenantKey(id);
        pass.adopted.push(id);
        this.deps.logger.info('tenant data keys moved under the tenant key', { tenantId: id, rows: moved });
      } catch (error) {
        if (error instanceof LegacyWrappedKeyError) {
          pass.legacy.push(id);
          this.deps.logger.warn('tenant data keys still wrapped by the retired master key: run `tessera keys import-master-key`', { tenantId: id });
          continue;
        }
        // A refusal (not an outage) does not change by retrying: e.g. a development database shared by
        // checkouts holds tenants wrapped by another checkout's key service.
        if (isKeyProviderError(error) && error.code !== 'KEY_PROVIDER_UNAVAILABLE') {
          pass.unreadable.push(id);
          this.deps.logger.warn('tenant data keys the key provider does not open were not adopted', { tenantId: id, code: error.code });
          continue;
        }
        pass.failed.push(id);
        this.deps.logger.warn('tenant key adoption failed for a tenant; will retry', { tenantId: id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return pass;
  }
}

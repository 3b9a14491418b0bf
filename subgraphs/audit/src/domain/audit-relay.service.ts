import type { DataSource } from 'typeorm';
import { outboxHasEvents, relayChain, relayChainOutcome, securityChain } from '@tessera/audit-client';
import { tenantChainOf, type DetailsKeyring } from './audit-details';
import { RecurringFailureLog, type Logger } from '@tessera/config';
import { probeTenantRows, tenantDatabase, type TenantStore } from '@tessera/tenancy';
import { checkpointWorkQuestions } from '../data/checkpoint-work.probe';
import type { AuditCheckpointService } from './audit-checkpoint.service';
import type { ChainActivity } from './chain-activity';
import { RelaySchedule } from './relay-schedule';

export interface AuditRelayDeps {
  db: DataSource;
  tenants: TenantStore;
  controlSchema: string;
  /** Signs heads periodically; absent = relay only. */
  checkpoints: AuditCheckpointService | undefined;
  logger: Logger;
  /** Seals the details of the events it chains. */
  keyring: DetailsKeyring;
  /** How often the outboxes of tenants that had events lately are relayed into their chains. */
  relayIntervalMs: number;
  /** How often every tenant's outbox is looked at (see RelaySchedule). */
  fullSweepIntervalMs: number;
  /** Told about every chain this relay grows (alerting evaluates those tenants). */
  activity?: ChainActivity;
  /** How often each chain's head is signed (only chains that moved get a new checkpoint). */
  checkpointIntervalMs: number;
}

/** A tenant that had events in its outbox is looked at every pass for this long. */
const warmForMs = 60_000;
/** A tenant's chain that keeps failing is logged again this often, not every pass. */
const repeatFailureLogEveryMs = 5 * 60_000;

/**
 * The audit service's background work: move tenants' outboxes (and the platform security log's)
 * into the hash chains, and sign chain heads periodically. Each pass first asks which outboxes
 * hold events — many tenants per statement (`probeTenantRows`) — and relays only those, so an
 * idle platform costs a few statements per pass, not six per tenant. A pass looks at the tenants
 * that had events lately; every `fullSweepIntervalMs` it looks at all of them (RelaySchedule).
 * Runs in each audit-service process; replicas do not collide (each chain is relayed under its
 * own MySQL lock, and a pass skips a chain another replica is relaying). While no audit service
 * runs, events simply wait in the outboxes, committed with the changes they describe.
 */
export class AuditRelay {
  private relayTimer: NodeJS.Timeout | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private started = false;
  /** Set by stop(): loops end, a sweep in progress ends after its current chain. */
  private stopped = false;
  private readonly schedule: RelaySchedule;
  private readonly relayFailures: RecurringFailureLog;
  private readonly checkpointFailures: RecurringFailureLog;

  constructor(private readonly deps: AuditRelayDeps) {
    this.schedule = new RelaySchedule({ fullSweepIntervalMs: deps.fullSweepIntervalMs, warmForMs });
    this.relayFailures = new RecurringFailureLog(deps.logger, 'audit relay failed for a tenant', { repeatEveryMs: repeatFailureLogEveryMs });
    this.checkpointFailures = new RecurringFailureLog(deps.logger, 'audit checkpoint failed for a tenant', { repeatEveryMs: repeatFailureLogEveryMs });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    const loop = (task: () => Promise<void>, intervalMs: number, set: (timer: NodeJS.Timeout) => void) => {
      const tick = () => {
        if (this.stopped) return;
        const run = task()
          .catch((error: unknown) => this.deps.logger.warn('audit chain task failed', { error: error instanceof Error ? error.message : String(error) }))
          .finally(() => {
            this.inFlight.delete(run);
            if (!this.stopped) set(setTimeout(tick, intervalMs));
          });
        this.inFlight.add(run);
      };
      set(setTimeout(tick, intervalMs));
    };
    loop(() => this.pass(), this.deps.relayIntervalMs, (timer) => (this.relayTimer = timer));
    if (this.deps.checkpoints && this.deps.checkpointIntervalMs > 0) {
      loop(() => this.checkpointAll(), this.deps.checkpointIntervalMs, (timer) => (this.checkpointTimer = timer));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    clearTimeout(this.relayTimer);
    clearTimeout(this.checkpointTimer);
    await Promise.all([...this.inFlight]);
  }

  /** One pass over every chain, whatever the schedule says. */
  async sweep(): Promise<void> {
    await this.relayTenants(await this.eligibleTenants(), Date.now());
    await this.relaySecurityLog();
  }

  /** One scheduled pass: the warm tenants, or every tenant when a full sweep is due. */
  private async pass(): Promise<void> {
    const now = Date.now();
    if (this.schedule.fullSweepDue(now)) {
      this.schedule.startFullSweep(await this.eligibleTenants(), now);
      await this.relayTenants(this.schedule.all(), now);
    } else {
      await this.relayTenants(this.schedule.warm(now), now);
    }
    await this.relaySecurityLog();
  }

  /** Every tenant whose outbox may be relayed (provisioning ones are not ready yet). */
  private async eligibleTenants(): Promise<string[]> {
    const eligible = (await this.deps.tenants.listStatuses()).filter((tenant) => tenant.status !== 'PROVISIONING').map((tenant) => tenant.id);
    this.relayFailures.forgetAllBut(eligible);
    return eligible;
  }

  /**
   * Relays those of `tenantIds` whose outbox holds events (or whose chain failed last time). A chain that fails (e.g. a tenant
   * being erased) does not stop the others; a tenant whose outbox could not even be looked at is
   * relayed anyway, so its failure is logged as before instead of hidden.
   */
  private async relayTenants(tenantIds: readonly string[], now: number): Promise<void> {
    if (tenantIds.length === 0) return;
    const probe = await probeTenantRows(this.deps.db, tenantIds, [{ from: (schema) => `${schema}.audit_outbox` }]);
    // A failing tenant is tried even with an empty outbox: another replica (or a drain) may have
    // chained its waiting events, and only a pass here can say this relay's failure is over.
    const due = tenantIds.filter((id) => probe.found.has(id) || probe.failed.has(id) || this.relayFailures.isFailing(id));
    for (const tenantId of due) {
      if (this.stopped) return;
      if (probe.found.has(tenantId)) this.schedule.markActive(tenantId, now);
      try {
        const outcome = await relayChainOutcome(await tenantDatabase(this.deps.db, tenantId), tenantChainOf(this.deps.keyring, tenantId));
        this.deps.activity?.chained(tenantId, outcome.chained);
        // A pass that held the lock read the chain's head and outbox: the chain works again, even when
        // another replica (or a drain) chained the waiting events first. A skipped chain proves nothing.
        if (outcome.locked) this.relayFailures.succeeded(tenantId, { tenantId });
      } catch (error) {
        this.relayFailures.failed(tenantId, error, { tenantId });
      }
    }
  }

  /** The platform security log: one cheap look, and a relay only when it holds events. */
  private async relaySecurityLog(): Promise<void> {
    if (this.stopped) return;
    const chain = securityChain(this.deps.controlSchema);
    if (await outboxHasEvents(this.deps.db, chain)) await relayChain(this.deps.db, chain);
  }

  /** Signs the heads of the chains that moved since their last checkpoint (asked of many tenants per statement). */
  async checkpointAll(): Promise<void> {
    const checkpoints = this.deps.checkpoints;
    if (!checkpoints) return;
    const tenants = (await this.deps.tenants.list()).filter((tenant) => tenant.status !== 'PROVISIONING');
    this.checkpointFailures.forgetAllBut(tenants.map((tenant) => tenant.id));
    const probe = await probeTenantRows(
      this.deps.db,
      tenants.map((tenant) => tenant.id),
      checkpointWorkQuestions,
    );
    for (const tenant of tenants) {
      if (this.stopped) return;
      // A tenant that could not be asked is tried anyway: its failure is logged below.
      if (!probe.found.has(tenant.id) && !probe.failed.has(tenant.id)) continue;
      await checkpoints.checkpointTenant(tenant).then(
        () => this.checkpointFailures.succeeded(tenant.id, { tenantId: tenant.id }),
        (error: unknown) => this.checkpointFailures.failed(tenant.id, error, { tenantId: tenant.id }),
      );
    }
    await checkpoints.checkpointPlatform(this.deps.controlSchema);
  }
}

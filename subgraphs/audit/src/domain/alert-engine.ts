import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { RecurringFailureLog, type Logger } from '@tessera/config';
import type { EventBus } from '@tessera/events';
import { probeTenantRows, type TenantScope, type TenantScopeFactory, type TenantStore } from '@tessera/tenancy';
import type { Alert } from '../data/alert.repository';
import { alertWorkQuestions } from '../data/alert-work.probe';
import { toAlertPayload } from './alert-payload';
import { evaluateTenantAlerts } from './alert-evaluator';
import type { AlertRuleKind } from './alert-rules';
import type { AlertingConfig } from './alerting-config';
import type { AuditRelay } from './audit-event-relay';
import type { ChainActivity } from './chain-activity';
import { dispatchDueWebhooks } from './webhook-dispatcher';
import type { WebhookTransport } from './webhook-transport';

export interface AlertEngineDeps {
  db: DataSource;
  scopes: TenantScopeFactory;
  tenants: TenantStore;
  /** Tenants whose chain this process grew: evaluated at the next pass. */
  activity: ChainActivity;
  bus: EventBus;
  logger: Logger;
  config: AlertingConfig;
  relay: AuditRelay;
  /** Carries every webhook; refuses addresses the webhook address policy does not allow. */
  transport: WebhookTransport;
}

/**
 * Runs alerting for this process: a periodic pass over the tenants with work (evaluate new audit
 * events, publish what fired, send due webhooks), plus on-demand evaluation for one tenant (before
 * `alerts` answers). A pass visits the tenants whose chain this process grew and those with
 * deliveries it knows are due; every `fullSweepIntervalMs` it asks every active tenant, many per
 * statement, whether it has work, which finds what other processes and replicas did. So an idle
 * platform costs a few statements per pass instead of a dozen per tenant. Evaluations of one
 * tenant never overlap within the process, nor do its dispatches; across replicas the evaluator's
 * row lock and the deliveries' claims keep the work single. Webhooks are sent beside the request,
 * never inside it: a slow receiver cannot slow a query.
 */
export class AlertEngine {
  private readonly evaluating = new Map<string, Promise<Alert[]>>();
  /** Tenant → its evaluation queued behind the running one and not started yet (joined by later callers). */
  private readonly waitingEvaluations = new Map<string, { background: boolean; alerts: Promise<Alert[]> }>();
  private readonly dispatching = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  /** Tenant → when its next pending delivery is due (ms since the epoch), as this process's last dispatch saw it. */
  private readonly deliveriesDueAt = new Map<string, number>();
  private nextFullSweepAt = 0;
  private interval: NodeJS.Timeout | undefined;
  private sweep: Promise<void> | undefined;
  private stopped = false;
  /** A tenant whose pass keeps failing is logged again every few minutes, not every sweep. */
  private readonly passFailures: RecurringFailureLog;

  constructor(private readonly deps: AlertEngineDeps) {
    this.passFailures = new RecurringFailureLog(deps.logger, 'alerting pass failed', { repeatEveryMs: 5 * 60_000 });
  }

  start(): void {
    this.interval = setInterval(() => {
      this.sweep ??= this.sweepAll()
        .catch((error: unknown) => {
          if (!this.stopped) this.deps.logger.warn('alerting sweep failed', { error: error instanceof Error ? error.message : String(error) });
        })
        .finally(() => (this.sweep = undefined));
    }, this.deps.config.evaluationIntervalMs);
    this.interval.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    await Promise.allSettled([this.sweep, ...this.evaluating.values(), ...this.dispatching.values()]);
  }

  /** Evaluates the tenant's new events now (publishing what fires), then sends due webhooks in the background. */
  async runFor(scope: TenantScope, background = false): Promise<Alert[]> {
    const alerts = await this.evaluateSoon(scope, background);
    void this.dispatch(scope);
    return alerts;
  }

  /**
   * The tenant's next evaluation. A caller that finds one still waiting to start joins it: it will
   * cover every event chained by the time it starts, all a second one would. So however many fields
   * or requests ask at once, a tenant has at most one evaluation running and one waiting, and the
   * sweep never waits out a queue one tenant built. A background evaluation skips a chain another
   * relay holds, so a reader's never joins one (the reverse is fine).
   */
  private evaluateSoon(scope: TenantScope, background: boolean): Promise<Alert[]> {
    const tenantId = scope.tenant.id;
    const waiting = this.waitingEvaluations.get(tenantId);
    if (waiting && (background || !waiting.background)) return waiting.alerts;
    const entry = { background, alerts: Promise.resolve<Alert[]>([]) };
    entry.alerts = this.serialized(this.evaluating, tenantId, () => {
      if (this.waitingEvaluations.get(tenantId) === entry) this.waitingEvaluations.delete(tenantId);
      return this.evaluate(scope, background);
    });
    this.waitingEvaluations.set(tenantId, entry);
    return entry.alerts;
  }

  /**
   * Alerts raised outside the evaluator (the access review's stale-access alerts, committed with
   * their deliveries by the caller): published now, their webhooks sent beside.
   */
  async announce(scope: TenantScope, alerts: readonly Alert[]): Promise<void> {
    await this.publish(scope.tenant.id, alerts);
    if (alerts.length > 0) void this.dispatch(scope);
  }

  /** Rule defaults the operator configures instead of code (STALE_ACCESS: STALE_ACCESS_DAYS). */
  ruleDefaults(): Partial<Record<AlertRuleKind, number>> {
    return { STALE_ACCESS: this.deps.config.accessReview.staleAccessDays };
  }

  private async evaluate(scope: TenantScope, background: boolean): Promise<Alert[]> {
    const alerts = await evaluateTenantAlerts(scope, this.deps.relay, background);
    await this.publish(scope.tenant.id, alerts);
    return alerts;
  }

  private async publish(tenantId: string, alerts: readonly Alert[]): Promise<void> {
    for (const alert of alerts) {
      await this.deps.bus.publish(tenantId, 'alerts', toAlertPayload(alert)).catch((error: unknown) => {
        this.deps.logger.warn('alert not published on the event bus', { tenantId, alertId: alert.id, error: String(error) });
      });
    }
  }

  private dispatch(scope: TenantScope): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.serialized(this.dispatching, scope.tenant.id, async () => {
      try {
        const { nextDueAt } = await dispatchDueWebhooks(scope, { config: this.deps.config, transport: this.deps.transport, logger: this.deps.logger });
        if (nextDueAt) this.deliveriesDueAt.set(scope.tenant.id, nextDueAt.getTime());
        else this.deliveriesDueAt.delete(scope.tenant.id);
        this.scheduleRetry(scope.tenant.id, nextDueAt);
      } catch (error) {
        if (!this.stopped) this.deps.logger.warn('webhook dispatch failed', { tenantId: scope.tenant.id, error: error instanceof Error ? error.message : String(error) });
      }
    });
  }

  /** Runs `task` after the previous task of the same tenant in `lanes` settles. */
  private serialized<T>(lanes: Map<string, Promise<unknown>>, tenantId: string, task: () => Promise<T>): Promise<T> {
    const previous = lanes.get(tenantId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    lanes.set(tenantId, next);
    void next
      .finally(() => {
        if (lanes.get(tenantId) === next) lanes.delete(tenantId);
      })
      .catch(() => undefined);
    return next;
  }

  /** A retry due before the next sweep gets its own timer, so backoff delays are kept, not rounded up to the sweep. */
  private scheduleRetry(tenantId: string, dueAt: Date | null): void {
    if (this.stopped || !dueAt) return;
    const delay = Math.max(0, dueAt.getTime() - Date.now());
    if (delay >= this.deps.config.evaluationIntervalMs) return;
    clearTimeout(this.retryTimers.get(tenantId));
    const timer = setTimeout(() => {
      this.retryTimers.delete(tenantId);
      if (this.stopped) return;
      this.deps.scopes.forPrincipal(systemPrincipal(tenantId)).then(
        (scope) => this.dispatch(scope),
        () => undefined, // suspended or erased since: nothing to send
      );
    }, delay + 10);
    timer.unref();
    this.retryTimers.set(tenantId, timer);
  }

  private async sweepAll(): Promise<void> {
    for (const tenantId of await this.tenantsWithWork(Date.now())) {
      if (this.stopped) return;
      let scope: TenantScope;
      try {
        scope = await this.deps.scopes.forPrincipal(systemPrincipal(tenantId));
      } catch {
        // Suspended or erased since: nothing to evaluate, and nothing to send while it lasts.
        this.deliveriesDueAt.delete(tenantId);
        continue;
      }
      try {
        await this.runFor(scope, true);
        this.passFailures.succeeded(tenantId, { tenantId });
      } catch (error) {
        if (!this.stopped) this.passFailures.failed(tenantId, error, { tenantId });
      }
    }
  }

  /** The tenants this pass visits (see the class comment). */
  private async tenantsWithWork(now: number): Promise<Set<string>> {
    const tenants = new Set(this.deps.activity.take());
    for (const [tenantId, dueAt] of this.deliveriesDueAt) if (dueAt <= now) tenants.add(tenantId);
    if (now < this.nextFullSweepAt) return tenants;
    this.nextFullSweepAt = now + this.deps.config.fullSweepIntervalMs;
    let active: string[];
    try {
      active = (await this.deps.tenants.listStatuses()).filter((tenant) => tenant.status === 'ACTIVE').map((tenant) => tenant.id);
      this.passFailures.forgetAllBut(active);
    } catch (error) {
      if (!this.stopped) this.deps.logger.warn('alerting sweep could not list tenants', { error: String(error) });
      return tenants;
    }
    let probe: Awaited<ReturnType<typeof probeTenantRows>>;
    try {
      probe = await probeTenantRows(this.deps.db, active, alertWorkQuestions(new Date(now)));
    } catch (error) {
      // The control plane could not place the tenants (REGION_DATABASES): the known work still runs, the full sweep is tried at the next pass.
      if (!this.stopped) this.deps.logger.warn('alerting sweep failed', { error: error instanceof Error ? error.message : String(error) });
      this.nextFullSweepAt = 0;
      return tenants;
    }
    for (const tenantId of probe.found) tenants.add(tenantId);
    // A tenant that could not be asked gets its pass anyway: its failure is logged there.
    for (const tenantId of probe.failed.keys()) tenants.add(tenantId);
    return tenants;
  }
}

/** The alerting engine acting for a tenant outside any request; it never appears as an actor in the log. */
function systemPrincipal(tenantId: string): Principal {
  return { kind: 'user', subject: 'system:alerting', tenantId, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}

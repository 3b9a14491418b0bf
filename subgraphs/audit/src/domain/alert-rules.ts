import { actionOwner, eventWriter, writtenByItsOwner } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { maxStaleAccessDays } from './access-review-config';

export const alertRuleKinds = ['AUTH_FAILURES', 'CROSS_TENANT_ATTEMPT', 'DATA_READ_BURST', 'BULK_DELETION', 'ANOMALY', 'USAGE_BUDGET', 'STALE_ACCESS', 'MISATTRIBUTED_EVENT'] as const;
export type AlertRuleKind = (typeof alertRuleKinds)[number];

/** Every rule counts over a sliding window of this length. */
export const alertWindowMs = 60_000;

export interface AlertRule {
  kind: AlertRuleKind;
  threshold: number;
  enabled: boolean;
  isDefault: boolean;
}

export interface EvaluatedEvent {
  seq: number;
  occurredAt: Date;
  action: string;
  details: Record<string, unknown>;
  /** The database account that wrote it (null: written before writers were recorded). */
  writtenBy: string | null;
}

interface RuleDefinition {
  description: string;
  defaultThreshold: number;
  /** How much one event counts toward the threshold (0: the rule ignores it). */
  weight(event: EvaluatedEvent): number;
  /**
   * What the alert's summary says about the events that fired it (the counted events of the
   * window, oldest first), when the count alone says too little; the description otherwise.
   */
  describe?(events: EvaluatedEvent[]): string;
}

/**
 * The platform defaults. They live in code rather than in a table so a changed default reaches
 * every tenant at the next deploy; a tenant's `setAlertRule` stores only its override.
 */
export const ruleDefinitions: Record<AlertRuleKind, RuleDefinition> = {
  AUTH_FAILURES: {
    description: 'Authentication failures at the gateway naming this tenant (bad, expired or forged tokens) per minute.',
    defaultThreshold: 10,
    // The gateway aggregates failures: a summary event stands for `details.count` of them.
    weight: (e) => (e.action === 'auth.failure' ? Math.max(1, Math.floor(Number(e.details['count'] ?? 1)) || 1) : 0),
  },
  CROSS_TENANT_ATTEMPT: {
    description: "Any request by one of this tenant's users for an id that belongs to another tenant.",
    defaultThreshold: 1,
    weight: (e) => (e.action === 'cross_tenant_attempt' ? 1 : 0),
  },
  DATA_READ_BURST: {
    description: 'Reads of tenant data (dataset content, model downloads, audit exports) per minute.',
    defaultThreshold: 100,
    weight: (e) => (/\.(read|download|export)$/.test(e.action) ? 1 : 0),
  },
  BULK_DELETION: {
    description: 'Objects deleted per minute (a deletion counts the objects it removed, at least 1).',
    defaultThreshold: 20,
    weight: (e) => (/\.delete$/.test(e.action) ? Math.max(1, Math.floor(Number(e.details['objects'] ?? 0)) || 0) : 0),
  },
  ANOMALY: {
    description: "Anomalies the metrics service's detector flagged in this tenant's traffic (request, error, latency, data-read or inference series); any one fires.",
    defaultThreshold: 1,
    weight: (e) => (e.action === 'anomaly.detected' ? 1 : 0),
    describe: describeAnomalies,
  },
  USAGE_BUDGET: {
    description: "A monthly usage budget's soft threshold was reached (once per budget and month); any one fires.",
    defaultThreshold: 1,
    weight: (e) => (e.action === 'usage.budget.soft_threshold' ? 1 : 0),
    describe: describeBudgets,
  },
  STALE_ACCESS: {
    description:
      'Privileged access (admin, data_scientist) of a member, service account or API key not used for `threshold` days, found by the access review: one alert per principal and review, not repeated while one is open.',
    defaultThreshold: 90,
    // Raised by the access review itself (one alert per principal), never by counting events in a window.
    weight: () => 0,
  },
  MISATTRIBUTED_EVENT: {
    description:
      "An event of a kind only one service records (dataset.*, model.*, job.*, member.*, …) written by another service's database account, or an action not of the platform's form (lower-case words joined by dots): an event written in another service's name (a compromised service, or someone holding its database password).",
    defaultThreshold: 1,
    weight: (e) => (writtenByItsOwner(e.action, eventWriter(e.writtenBy)) ? 0 : 1),
    describe: describeMisattributed,
  },
};

/** Which events were written by whom, against the service that records their kind. */
function describeMisattributed(events: EvaluatedEvent[]): string {
  const named = events
    .slice(-5)
    .map((e) => `${JSON.stringify(e.action)} (sequence ${e.seq}) written by ${eventWriter(e.writtenBy) ?? '?'}, ${actionOwner(e.action) ? `recorded only by ${actionOwner(e.action)}` : 'not an action the platform records'}`);
  return `${named.join('; ')}${events.length > 5 ? `; and ${events.length - 5} more` : ''}.`;
}

/** Rules whose threshold is not a count per window; the access review reads STALE_ACCESS's as days. */
export const windowlessRules: readonly AlertRuleKind[] = ['STALE_ACCESS'];

/** Which budget reached its soft threshold, in the metering's own numbers. */
function describeBudgets(events: EvaluatedEvent[]): string {
  const last = events.at(-1);
  if (!last) return ruleDefinitions.USAGE_BUDGET.description;
  const d = last.details;
  return `Usage budget ${String(d['meter'])}: ${String(d['used'])} used of ${String(d['monthlyLimit'])} in ${String(d['month'])}, past the soft threshold of ${String(d['softPercent'])}%.`;
}

/**
 * The anomaly that fired (the window's newest) in the detector's own terms, and which other
 * metrics were flagged in the window: the Alert has no per-rule fields, so the summary carries it.
 */
function describeAnomalies(events: EvaluatedEvent[]): string {
  const last = events.at(-1);
  if (!last) return ruleDefinitions.ANOMALY.description;
  const d = last.details;
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toPrecision(3))) : '?');
  const text = (value: unknown) => (typeof value === 'string' ? value : '?');
  const metrics = [...new Set(events.map((e) => text(e.details['metric'])))];
  const others = metrics.length > 1 ? ` Metrics flagged in the window: ${metrics.join(', ')}.` : '';
  return (
    `${text(d['metric'])} observed ${number(d['observed'])}, expected ${number(d['expected'])} (score ${number(d['score'])}, threshold ${number(d['threshold'])}) ` +
    `in ${text(d['windowStart'])} – ${text(d['windowEnd'])}; anomaly ${text(d['anomalyId'])}.${others}`
  );
}

export const maxThreshold = 1_000_000;

export function parseRuleInput(input: { kind: string; threshold: number; enabled: boolean }): { kind: AlertRuleKind; threshold: number; enabled: boolean } {
  if (!(alertRuleKinds as readonly string[]).includes(input.kind)) throw errors.badInput(`kind must be one of ${alertRuleKinds.join(', ')}.`, { field: 'kind' });
  const max = input.kind === 'STALE_ACCESS' ? maxStaleAccessDays : maxThreshold;
  if (!Number.isSafeInteger(input.threshold) || input.threshold < 1 || input.threshold > max) {
    throw errors.badInput(`threshold must be between 1 and ${max}${input.kind === 'STALE_ACCESS' ? ' (days)' : ''}.`, { field: 'threshold' });
  }
  return { kind: input.kind as AlertRuleKind, threshold: input.threshold, enabled: Boolean(input.enabled) };
}

/**
 * Defaults overlaid with the tenant's stored overrides. `defaults` replaces code defaults the
 * operator configures (STALE_ACCESS from STALE_ACCESS_DAYS).
 */
export function effectiveRules(overrides: Array<{ kind: string; threshold: number; enabled: boolean }>, defaults: Partial<Record<AlertRuleKind, number>> = {}): AlertRule[] {
  return alertRuleKinds.map((kind) => {
    const override = overrides.find((o) => o.kind === kind);
    return override
      ? { kind, threshold: override.threshold, enabled: override.enabled, isDefault: false }
      : { kind, threshold: defaults[kind] ?? ruleDefinitions[kind].defaultThreshold, enabled: true, isDefault: true };
  });
}

export interface Firing {
  kind: AlertRuleKind;
  threshold: number;
  observed: number;
  windowStart: Date;
  windowEnd: Date;
  firstSeq: number;
  lastSeq: number;
  /** The rule's account of the window's events (see RuleDefinition.describe); null: none. */
  detail: string | null;
}

/**
 * Sliding-window evaluation of one rule, pure: `history` are the rule's events already evaluated
 * that may still fall in a window (the last minute before the first new event), `fresh` the new
 * ones, both in chain order. A rule fires at the first event that takes the window's weight to the
 * threshold, then stays quiet until a full window has passed since the last firing: one alert per
 * rule per window, however long the burst lasts.
 */
export function evaluateRule(rule: AlertRule, history: EvaluatedEvent[], fresh: EvaluatedEvent[], lastFiredAt: Date | null): Firing[] {
  if (!rule.enabled) return [];
  const definition = ruleDefinitions[rule.kind];
  const weightOf = definition.weight;
  const events = [...history, ...fresh].map((event) => ({ event, weight: weightOf(event) })).filter((e) => e.weight > 0);
  const freshFrom = new Set(fresh.map((e) => e.seq));
  const firings: Firing[] = [];
  let quietUntil = lastFiredAt ? lastFiredAt.getTime() + alertWindowMs : -Infinity;
  let start = 0;
  let sum = 0;
  for (let end = 0; end < events.length; end++) {
    const current = events[end]!;
    sum += current.weight;
    const now = current.event.occurredAt.getTime();
    while (events[start]!.event.occurredAt.getTime() <= now - alertWindowMs) sum -= events[start++]!.weight;
    if (!freshFrom.has(current.event.seq) || sum < rule.threshold || now < quietUntil) continue;
    firings.push({
      kind: rule.kind,
      threshold: rule.threshold,
      observed: sum,
      windowStart: events[start]!.event.occurredAt,
      windowEnd: current.event.occurredAt,
      firstSeq: events[start]!.event.seq,
      lastSeq: current.event.seq,
      detail: definition.describe?.(events.slice(start, end + 1).map((e) => e.event)) ?? null,
    });
    quietUntil = now + alertWindowMs;
  }
  return firings;
}

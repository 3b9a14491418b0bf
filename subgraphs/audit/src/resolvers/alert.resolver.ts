import type { GraphQLResolverMap } from '@tessera/service-kit';
import { assertPermission } from '@tessera/auth';
import type { EventBus } from '@tessera/events';
import type { SubgraphContext } from '@tessera/service-kit';
import type { Alert, AlertStatus } from '../data/alert.repository';
import type { WebhookDelivery } from '../data/webhook.repository';
import type { AlertEngine } from '../domain/alert-engine';
import type { AlertPayload } from '../domain/alert-payload';
import { alertWindowMs, ruleDefinitions, windowlessRules, type AlertRule } from '../domain/alert-rules';
import { AlertService, type WebhookUrlValidator } from '../domain/alert.service';
import { outcomeDescriptions } from '../domain/webhook-outcome';

const isoOrNull = (value: Date | null) => value?.toISOString() ?? null;

/** A bus payload (times as strings) back into the shape the Alert resolvers read. */
function fromPayload(payload: AlertPayload): Alert {
  return {
    id: payload.id,
    rule: payload.rule as Alert['rule'],
    status: payload.status as AlertStatus,
    threshold: payload.threshold,
    observed: payload.observed,
    windowStart: new Date(payload.windowStart),
    windowEnd: new Date(payload.windowEnd),
    firstSeq: payload.firstSequence,
    lastSeq: payload.lastSequence,
    summary: payload.summary,
    createdAt: new Date(payload.createdAt),
    acknowledgedAt: payload.acknowledgedAt ? new Date(payload.acknowledgedAt) : null,
    acknowledgedBy: payload.acknowledgedBy,
  };
}

export function alertResolvers(deps: { engine: AlertEngine; bus: EventBus; validateWebhookUrl: WebhookUrlValidator }): GraphQLResolverMap<SubgraphContext> {
  const service = async (ctx: SubgraphContext) => new AlertService(await ctx.scope(), deps.engine, deps.validateWebhookUrl);
  return {
    Query: {
      alerts: async (_: unknown, args: { status?: AlertStatus | null; first?: number | null }, ctx: SubgraphContext) => (await service(ctx)).list(args.status, args.first),
      alertRules: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).rules(),
      alertWebhook: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).webhook(),
    },
    Mutation: {
      acknowledgeAlert: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await service(ctx)).acknowledge(args.id),
      setAlertWebhook: async (_: unknown, args: { url: string }, ctx: SubgraphContext) => (await service(ctx)).setWebhook(args.url),
      removeAlertWebhook: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).removeWebhook(),
      setAlertRule: async (_: unknown, args: { input: { kind: string; threshold: number; enabled: boolean } }, ctx: SubgraphContext) => (await service(ctx)).setRule(args.input),
    },
    Subscription: {
      alerts: {
        // The channel is the verified caller's tenant; nothing in the operation can name another.
        subscribe: async (_: unknown, _args: unknown, ctx: SubgraphContext) => {
          const scope = await ctx.scope();
          assertPermission(scope.principal, 'audit');
          // Answered once Redis has the subscription, as jobEvents is: an alert raised right after
          // the subscriber's acknowledgement reaches it instead of being published to nobody.
          const source = deps.bus.subscribe<AlertPayload>(scope.tenant.id, 'alerts');
          try {
            await source.ready;
          } catch (error) {
            await source.return?.();
            throw error;
          }
          return source;
        },
        resolve: (payload: AlertPayload) => fromPayload(payload),
      },
    },
    Alert: {
      firstSequence: (alert: Alert) => alert.firstSeq,
      lastSequence: (alert: Alert) => alert.lastSeq,
      windowStart: (alert: Alert) => alert.windowStart.toISOString(),
      windowEnd: (alert: Alert) => alert.windowEnd.toISOString(),
      createdAt: (alert: Alert) => alert.createdAt.toISOString(),
      acknowledgedAt: (alert: Alert) => isoOrNull(alert.acknowledgedAt),
      deliveries: async (alert: Alert, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).deliveries(alert.id),
    },
    WebhookDelivery: {
      deliveredAt: (delivery: WebhookDelivery) => isoOrNull(delivery.deliveredAt),
      // Deprecated: the receiver's status code is an oracle for whatever answered at the address.
      lastStatus: () => null,
      lastError: (delivery: WebhookDelivery) => (delivery.lastOutcome && delivery.lastOutcome !== 'DELIVERED' ? outcomeDescriptions[delivery.lastOutcome] : null),
    },
    AlertRule: {
      // STALE_ACCESS counts days without use, not events in a sliding minute.
      windowSeconds: (rule: AlertRule) => (windowlessRules.includes(rule.kind) ? rule.threshold * 86_400 : alertWindowMs / 1000),
      description: (rule: AlertRule) => ruleDefinitions[rule.kind].description,
    },
    AlertWebhook: { createdAt: (webhook: { createdAt: Date }) => webhook.createdAt.toISOString() },
    AlertWebhookSecret: { createdAt: (webhook: { createdAt: Date }) => webhook.createdAt.toISOString() },
  };
}

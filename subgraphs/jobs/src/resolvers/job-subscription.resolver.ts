import type { GraphQLResolverMap } from '@tessera/service-kit';
import { assertPermission } from '@tessera/auth';
import { isJobEventPayload, mapEventStream, terminalJobStatuses, type EventBus, type JobEventPayload } from '@tessera/events';
import { parseUuid, type SubgraphContext } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { readableMetrics } from '../domain/job-metrics';
import { jobNotFound } from '../domain/job-not-found';

/** The shape a Subscription field's event takes: graphql's default resolver reads `payload[fieldName]`. */
type Rooted<K extends string> = Record<K, JobEventPayload>;

const isTerminal = (event: JobEventPayload) => terminalJobStatuses.includes(event.status);

/**
 * The job's current state from its row in the caller's tenant schema, as a first event; undefined
 * when this tenant has no such job (another tenant's id included: same answer). Plain SQL on the
 * columns the event needs, so it does not depend on the rest of the jobs entity.
 */
async function currentState(scope: TenantScope, jobId: string): Promise<JobEventPayload | undefined> {
  // `*`: metrics_json arrives with the job-pipelines migration; read it when the column is there.
  const rows = (await scope.db((manager) => manager.query('SELECT * FROM jobs WHERE id = ?', [jobId]))) as Array<{
    id: string;
    kind: string;
    status: string;
    progress: number;
    phase: string | null;
    error_json: unknown;
    metrics_json?: unknown;
    updated_at: Date;
  }>;
  const row = rows[0];
  if (!row) return undefined;
  const error = parseJson(row.error_json);
  const metrics = parseJson(row.metrics_json);
  const snapshot = {
    jobId: row.id,
    kind: row.kind,
    status: row.status,
    progress: Number(row.progress),
    phase: row.phase,
    // Without the metrics an older version stored as null for a NaN: else the snapshot is refused and the job reads as NOT_FOUND.
    metrics: typeof metrics === 'object' && metrics !== null && !Array.isArray(metrics) ? readableMetrics(metrics as Record<string, unknown>) : null,
    error: isErrorShape(error) ? { code: error.code, message: error.message } : null,
    occurredAt: new Date(row.updated_at).toISOString(),
  };
  return isJobEventPayload(snapshot) ? snapshot : undefined;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}

function isErrorShape(value: unknown): value is { code: string; message: string } {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string' && typeof (value as { message?: unknown }).message === 'string';
}

/**
 * Live job events from Redis pub/sub (`@tessera/events`), so any replica can serve any subscriber.
 * The tenant is the verified caller's (`scope.tenant`), never an argument: a subscriber can only
 * ever be attached to its own tenant's channel.
 */
export function jobSubscriptionResolvers(events: EventBus): GraphQLResolverMap<SubgraphContext> {
  return {
    Subscription: {
      jobEvents: {
        subscribe: async (_: unknown, _args: unknown, ctx: SubgraphContext): Promise<AsyncIterableIterator<Rooted<'jobEvents'>>> => {
          const scope = await ctx.scope();
          assertPermission(scope.principal, 'read');
          const source = events.subscribe<unknown>(scope.tenant.id, 'jobs');
          await source.ready;
          return mapEventStream(source, { filter: isJobEventPayload, map: (event) => ({ jobEvents: event as JobEventPayload }) });
        },
      },
      jobProgress: {
        subscribe: async (_: unknown, args: { jobId: string }, ctx: SubgraphContext): Promise<AsyncIterableIterator<Rooted<'jobProgress'>>> => {
          const scope = await ctx.scope();
          assertPermission(scope.principal, 'read');
          const jobId = parseUuid(args.jobId, 'jobId');
          // Subscribe first, then read the row: a change between the two is still delivered (at worst twice).
          const source = events.subscribe<unknown>(scope.tenant.id, 'jobs');
          let snapshot: JobEventPayload | undefined;
          try {
            await source.ready;
            snapshot = await currentState(scope, jobId);
          } catch (error) {
            await source.return?.();
            throw error;
          }
          if (!snapshot) {
            await source.return?.();
            // The jobs subgraph's one NOT_FOUND: same answer for another tenant's id, which is recorded as an attempt.
            throw await jobNotFound(scope, 'Job', jobId);
          }
          return mapEventStream(source, {
            initial: [{ jobProgress: snapshot }],
            filter: (event): event is JobEventPayload => isJobEventPayload(event) && event.jobId === jobId,
            map: (event) => ({ jobProgress: event as JobEventPayload }),
            isLast: (event) => isTerminal(event.jobProgress),
          });
        },
      },
    },
    JobEvent: {
      metrics: (event: JobEventPayload) => (event.metrics ? Object.entries(event.metrics).map(([name, value]) => ({ name, value })) : null),
    },
  };
}

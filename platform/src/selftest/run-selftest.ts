/**
 * One self-test run: transport, authentication, tenant A's resources, tenant B against them
 * (schema walk, subscriptions, transfers), operation limits, the flood last (it leaves B rate
 * limited for a moment), and A's resources removed in `finally`, whatever failed before.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:https';
import type { Credential } from './credentials';
import { gqlData, type SelftestContext } from './context';
import { createTenantAResources, predictHints, removeTenantAResources, type TenantAResources } from './fixtures';
import { loadSchema, probeIsolation, probeJobEvents, probeTransfers } from './isolation-checks';
import { probePredictRoute } from './predict-route-checks';
import { probeAuthentication } from './auth-checks';
import { probeFlood, probeOperationLimits, readLimits } from './limit-checks';
import { CheckLog, type SelftestReport } from './report';
import { probeTransport } from './tls-checks';

export interface SelftestOptions {
  /** The gateway's GraphQL endpoint, e.g. https://api.example.com/graphql (a bare origin gets /graphql). */
  url: string;
  tenantA: Credential;
  tenantB: Credential;
  /** PEM of the CA to verify the gateway with. */
  ca?: string | undefined;
  /** SDL of the public schema, where introspection is disabled. */
  schemaSdl?: string | undefined;
  /** Submit a profile job as tenant A (default true; needs nothing but a queue: a queued job is enough). */
  job?: boolean;
  /** Skip the flood (a deployment whose operators forbid it). */
  flood?: boolean;
  subscriptionWindowMs?: number;
  /** Which groups run (default all): tls, auth, isolation, limits. Cleanup always runs. */
  groups?: ReadonlyArray<SelftestGroup>;
}

export const selftestGroups = ['tls', 'auth', 'isolation', 'limits'] as const;
export type SelftestGroup = (typeof selftestGroups)[number];

export function graphqlEndpoint(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/graphql';
  return parsed.toString();
}

export async function runSelftest(options: SelftestOptions): Promise<SelftestReport> {
  const startedAt = new Date();
  const graphqlUrl = graphqlEndpoint(options.url);
  const wsUrl = graphqlUrl.replace(/^http/, 'ws');
  const log = new CheckLog();
  const agent = new Agent({ keepAlive: true, maxSockets: 8, ...(options.ca ? { ca: options.ca } : {}) });
  const wanted = new Set<SelftestGroup>(options.groups ?? selftestGroups);
  const runTag = randomBytes(4).toString('hex');
  const context: SelftestContext = {
    graphqlUrl,
    wsUrl,
    transport: { ca: options.ca, timeoutMs: 30_000, agent },
    a: options.tenantA,
    b: options.tenantB,
    log,
    runTag,
    subscriptionWindowMs: options.subscriptionWindowMs ?? 1_500,
  };
  const resources: TenantAResources = { ids: {}, name: `selftest-${runTag}`, alias: `selftest${runTag}`, hints: predictHints };
  const guard = async (name: string, step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      log.fail(name, `stopped: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  try {
    // Without a verified TLS endpoint no credential is sent anywhere.
    let transportOk = false;
    await guard('tls', async () => {
      transportOk = await probeTransport(context, wanted.has('tls'));
    });
    if (!transportOk) return log.report(graphqlUrl, startedAt);

    let sameTenant = false;
    await guard('tenants.distinct', async () => {
      const tenantOf = async (who: Credential) => (await gqlData<{ currentTenant: { id: string } }>(context, who, 'query { currentTenant { id } }')).currentTenant.id;
      const [a, b] = await Promise.all([tenantOf(context.a), tenantOf(context.b)]);
      sameTenant = a === b;
      log.expect('tenants.distinct', !sameTenant, sameTenant ? `both credentials belong to ${a}: isolation cannot be tested` : `tenant A is ${a}, tenant B is ${b}`);
    });
    if (sameTenant || log.checks.some((check) => check.name === 'tenants.distinct' && check.status === 'fail')) return log.report(graphqlUrl, startedAt);

    await guard('fixtures.tenant-a', async () => {
      await createTenantAResources(context, resources, { job: options.job ?? true });
      log.pass('fixtures.tenant-a', `created dataset ${resources.ids.dataset} (version ${resources.ids.datasetVersion}), model ${resources.ids.model} (version ${resources.ids.modelVersion}, alias ${resources.alias})${resources.ids.job ? `, profile job ${resources.ids.job}` : ''}`);
    });
    if (wanted.has('auth')) await guard('auth', () => probeAuthentication(context, resources.ids.tenant));
    const schema = !wanted.has('isolation') ? undefined : await loadSchema(context, options.schemaSdl).catch((error: unknown) => {
      log.fail('schema.source', error instanceof Error ? error.message : String(error));
      return undefined;
    });
    if (schema && resources.ids.dataset && resources.ids.model) {
      await guard('isolation', () => probeIsolation(context, schema, resources));
      await guard('isolation.transfers', () => probeTransfers(context, resources));
      await guard('isolation.predict-route', () => probePredictRoute(context, resources));
      await guard('isolation.subscription.jobEvents-while-a-changes', () => probeJobEvents(context, resources));
    } else if (!schema && wanted.has('isolation')) {
      log.fail('isolation', 'no schema: nothing was probed');
    }
    if (wanted.has('limits')) await guard('limits', async () => {
      const limits = await readLimits(context);
      await probeOperationLimits(context, limits);
      if (options.flood === false) log.skip('limits.rate-limit', 'skipped (--no-flood)');
      else await probeFlood(context, limits);
    });
  } finally {
    await guard('cleanup.tenant-a', () => removeTenantAResources(context, resources));
    agent.destroy();
  }
  return log.report(graphqlUrl, startedAt);
}

import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { subscriptionRoutingOf } from '../src/subscriptions/subscription-routing';

const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

/** Composes like the gateway does (same library), so the join directives are the real ones. */
function compose(services: Array<{ name: string; sdl: string }>) {
  const result = composeServices(services.map((s) => ({ name: s.name, url: `http://${s.name}.test/graphql`, typeDefs: parse(`${federation}\n${s.sdl}`) })));
  if (result.errors || !result.supergraphSdl || !result.schema) throw new Error(`composition failed: ${result.errors?.map((e) => e.message).join('; ')}`);
  return { apiSchema: result.schema.toAPISchema().toGraphQLJSSchema(), supergraphSdl: result.supergraphSdl };
}

describe('subscription routing from the supergraph', () => {
  it('maps each Subscription field to the subgraph that declares it, jobs and audit alike (no gateway change per field)', () => {
    const { apiSchema, supergraphSdl } = compose([
      { name: 'jobs', sdl: 'type Query { jobs: Int } type Subscription { jobProgress(jobId: ID!): JobEvent! jobEvents: JobEvent! } type JobEvent { jobId: ID! }' },
      { name: 'audit', sdl: 'type Query { auditEvents: Int } type Subscription { alerts: Alert! } type Alert { id: ID! }' },
      { name: 'datasets', sdl: 'type Query { datasets: Int }' },
    ]);
    expect(apiSchema.getSubscriptionType()?.getFields()).toHaveProperty('alerts');
    const routing = subscriptionRoutingOf(apiSchema, supergraphSdl);
    expect(Object.fromEntries(routing.owners)).toEqual({ jobProgress: 'jobs', jobEvents: 'jobs', alerts: 'audit' });
  });

  it('a Subscription type declared by one subgraph only is routed by its type-level join', () => {
    const { apiSchema, supergraphSdl } = compose([
      { name: 'jobs', sdl: 'type Query { jobs: Int } type Subscription { jobEvents: Int! }' },
      { name: 'models', sdl: 'type Query { models: Int }' },
    ]);
    expect(Object.fromEntries(subscriptionRoutingOf(apiSchema, supergraphSdl).owners)).toEqual({ jobEvents: 'jobs' });
  });

  it('no Subscription type → nothing routable', () => {
    const { apiSchema, supergraphSdl } = compose([{ name: 'models', sdl: 'type Query { models: Int }' }]);
    expect(subscriptionRoutingOf(apiSchema, supergraphSdl).owners.size).toBe(0);
  });
});

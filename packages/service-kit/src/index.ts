export { createSubgraphContext, type SubgraphContext } from './subgraph-context';
export { createServiceRuntime, type ServiceRuntime, type ServiceRuntimeConfig } from './service-runtime';
export { listen, type RunningHttpServer } from './http-server';
export { tracingMiddleware } from './tracing-middleware';
export { startSubgraph, buildProtectedSchema, type SubgraphDefinition, type RouteTools, type RunningSubgraph } from './subgraph-server';
export * from './pagination';
export * from './graphql-files';
export { parseUuid } from './ids';
export { mountHealthRoutes } from './health-routes';

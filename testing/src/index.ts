export { startTestStack, testAudience, type TestStack, type TestTenant, type TestStackOptions, type TestWorkers } from './test-stack';
export { postGraphQL, errorCodes, expectNoErrors, type GraphQLResponse } from './graphql-client';
export { tenantState, type TenantState } from './tenant-state';
export { trustCaInThisProcess } from '@tessera/local-infra';
export { postToSubgraph, requestSubgraph, type ClientCertificate, type RawResponse } from './subgraph-client';
export { withAuditDetails } from './audit-details';
export { lockTenantTable } from './table-lock';
export { TcpSwitch } from './tcp-switch';
export { createTestRedisUsers, type TestRedisUsers } from './test-redis-users';

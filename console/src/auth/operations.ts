import { graphql } from '../generated';

/** The caller as every rule of the API sees it (tenants subgraph `me`): with ROLE_SOURCE=members, the membership's roles. */
export const MeQuery = graphql(`
  query ConsoleMe {
    me { subject tenantId roles }
  }
`);

import type { ApolloServerPlugin } from '@apollo/server';
import type { SubgraphContext } from './subgraph-context';

/**
 * Puts the headers resolvers set on `contextValue.responseHeaders` on the operation's HTTP answer,
 * so a subgraph can tell the gateway what a request changed (the tenants service names the tenants
 * whose access it changed) alongside the data.
 */
export const responseHeadersPlugin: ApolloServerPlugin<SubgraphContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        for (const [name, value] of contextValue.responseHeaders) response.http.headers.set(name, value);
      },
    };
  },
};

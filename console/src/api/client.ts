import { createClient as createWsClient } from 'graphql-ws';
import { Client, fetchExchange, subscriptionExchange } from 'urql';
import { websocketUrl } from '../config';

/**
 * urql over HTTPS for queries and mutations, and graphql-ws (graphql-transport-ws) for
 * subscriptions, which the gateway authenticates at connection_init. The token is read for every
 * request, so a silently renewed token is used as soon as it exists.
 */
export function createApiClient(graphqlUrl: string, accessToken: () => string | undefined): Client {
  const ws = createWsClient({
    url: websocketUrl(graphqlUrl),
    lazy: true,
    connectionParams: () => ({ authorization: `Bearer ${accessToken() ?? ''}` }),
  });
  return new Client({
    url: graphqlUrl,
    // Every view shows what the server says now: another tab or a job may have changed it.
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${accessToken() ?? ''}` } }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
}

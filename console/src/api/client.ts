import { createClient as createWsClient } from 'graphql-ws';
import { Client, fetchExchange, subscriptionExchange } from 'urql';
import { websocketUrl } from '../config';
import { fetchRecordingRequestId } from './request-ids';

/**
 * urql over HTTPS for queries and mutations, and graphql-ws (graphql-transport-ws) for
 * subscriptions, which the gateway authenticates at connection_init. The token is read for every
 * request, so a silently renewed token is used as soon as it exists.
 */
export function createApiClient(graphqlUrl: string, accessToken: () => string | undefined): Client {
  // The token the current socket was opened with: the gateway closes a socket (4401) when that
  // token expires, whatever the page renewed since.
  let socketToken: string | undefined;
  const ws = createWsClient({
    url: websocketUrl(graphqlUrl),
    lazy: true,
    connectionParams: () => {
      socketToken = accessToken();
      return { authorization: `Bearer ${socketToken ?? ''}` };
    },
  });
  return new Client({
    url: graphqlUrl,
    // Every view shows what the server says now: another tab or a job may have changed it.
    requestPolicy: 'cache-and-network',
    fetch: fetchRecordingRequestId,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${accessToken() ?? ''}` } }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => {
            let ended = false;
            let stop = () => undefined as void;
            const start = () => {
              stop = ws.subscribe({ ...request, query: request.query ?? '' }, {
                next: (value) => sink.next(value as Parameters<typeof sink.next>[0]),
                complete: () => sink.complete(),
                error: (error: unknown) => {
                  // graphql-ws gives up on 4401; a socket whose token expired while a renewed one
                  // exists is reopened with the renewed token and the subscription goes on. A
                  // refusal of the current token still ends it (no loop).
                  if (!ended && isUnauthorizedClose(error) && accessToken() !== undefined && accessToken() !== socketToken) {
                    start();
                    return;
                  }
                  sink.error(error);
                },
              });
            };
            start();
            return {
              unsubscribe: () => {
                ended = true;
                stop();
              },
            };
          },
        }),
      }),
    ],
  });
}

function isUnauthorizedClose(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 4401;
}

import type { ApolloServerPlugin } from '@apollo/server';
import { TesseraError } from '@tessera/errors';
import { toContextError } from './http-errors';

/**
 * A subscription sent as an HTTP request gets a typed 400 that says where subscriptions live,
 * instead of reaching Apollo Gateway (which cannot execute them and fails with an internal error).
 */
export function httpSubscriptionGuardPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw toContextError(
            new TesseraError('BAD_REQUEST', 'Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql, not over HTTP.'),
          );
        },
      };
    },
  };
}

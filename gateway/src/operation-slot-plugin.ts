import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './gateway-context';

/**
 * Gives the tenant's operation slot back as soon as the answer is ready, before it is written: the
 * next queued operation of the tenant can start while this one's bytes go out. The HTTP handlers
 * also release when the response closes, for answers Apollo finishes without running its plugins
 * (a request it refuses before execution); releasing twice is harmless.
 */
export function operationSlotPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          contextValue.releaseSlot();
        },
      };
    },
  };
}

import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { OperationType, RequestMetricsRecorder } from '@tessera/monitoring';
import type { GatewayContext } from './gateway-context';

/**
 * Records every GraphQL request of a tenant (after authentication) into the request metrics:
 * operation type and name, latency from the start of GraphQL processing to the response, and the
 * codes of the errors the client receives (after masking, so what the tenant sees is what is
 * counted). Requests without a tenant (platform admins) and requests refused before GraphQL runs
 * (bad token, rate limit) are not tenant metrics: the audit trail and security log hold those.
 */
export function requestMetricsPlugin(recorder: RequestMetricsRecorder): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart(start) {
      const tenantId = start.contextValue.tenant?.id;
      if (!tenantId) return;
      const startedAt = Date.now();
      const startedHr = process.hrtime.bigint();
      return {
        async willSendResponse(requestContext) {
          const body = requestContext.response.body;
          const errors: readonly GraphQLFormattedError[] = body.kind === 'single' ? (body.singleResult.errors ?? []) : (body.initialResult.errors ?? []);
          recorder.record({
            tenantId,
            startedAt,
            operationType: (requestContext.operation?.operation ?? 'invalid') as OperationType,
            operationName: requestContext.operation?.name?.value ?? null,
            latencyMs: Number(process.hrtime.bigint() - startedHr) / 1e6,
            errorCodes: errors.map((error) => String(error.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR')),
          });
        },
      };
    },
  };
}

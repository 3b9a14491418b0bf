import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { internalContextHeader, requestIdHeader } from '@tessera/auth';
import { injectTraceHeaders } from '@tessera/telemetry';
import type { GatewayContext } from './gateway-context';
import type { createSubgraphHttpClient } from './subgraph-http-client';

type LeanFetcher = ReturnType<typeof createSubgraphHttpClient>['fetcher'];

export const publicUrlHeader = 'x-tessera-public-url';

/**
 * How the gateway talks to a subgraph: every request carries the gateway-signed internal context
 * (who, which tenant, which roles) and the W3C trace context, so the subgraph trusts nothing the
 * client sent and the trace continues across the hop.
 */
export class TenantContextDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly signGatewayToken: () => Promise<string>,
    fetcher: LeanFetcher,
  ) {
    // A lean keep-alive client (subgraph-http-client.ts) instead of Apollo's default one.
    super({ url, fetcher: fetcher as unknown as NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher'] });
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = options.request.http?.headers;
    if (!headers) return;
    if (options.kind === GraphQLDataSourceRequestKind.INCOMING_OPERATION) {
      headers.set(internalContextHeader, options.context.internalToken);
      headers.set(requestIdHeader, options.context.requestId);
      headers.set(publicUrlHeader, options.context.publicUrl);
    } else {
      // Schema loading and health checks: the gateway itself, which may read `_service` only.
      headers.set(internalContextHeader, await this.signGatewayToken());
    }
    for (const [name, value] of Object.entries(injectTraceHeaders({}))) headers.set(name, value);
  }
}

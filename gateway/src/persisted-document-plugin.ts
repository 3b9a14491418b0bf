import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './gateway-context';

/**
 * Gives Apollo the text of a document the request named by id (APQ's `persistedQuery` extension,
 * `documentId`), as the pipeline resolved it for the caller's tenant. A POST body is rewritten
 * before Apollo reads it (graphql-post-handler); a GET's operation is read from its URL before the
 * context step runs, so its text is set here, at the start of Apollo's request and before Apollo
 * looks for a persisted query itself (it keeps none: persistedQueries is off, and it would answer
 * Apollo's PERSISTED_QUERY_NOT_SUPPORTED, a code outside the registry and so masked as
 * INTERNAL_SERVER_ERROR, for a document the pipeline had already admitted and charged).
 */
export function persistedDocumentPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const text = contextValue.operationRequest?.query;
      const extensions = request.extensions;
      const named = !request.query || (extensions !== undefined && 'persistedQuery' in extensions);
      if (!named || text === undefined) return;
      request.query = text;
      if (extensions !== undefined) {
        const { persistedQuery: _persistedQuery, ...others } = extensions;
        request.extensions = others;
      }
    },
  };
}

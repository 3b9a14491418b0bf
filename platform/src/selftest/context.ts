import type { Credential } from './credentials';
import { postGraphQL, type GraphQLAnswer, type TransportOptions } from './http-client';
import type { CheckLog } from './report';

/** What every check needs: where the gateway is, how to reach it, both tenants' credentials, the log. */
export interface SelftestContext {
  graphqlUrl: string;
  /** `wss://…/graphql`, where graphql-ws is served. */
  wsUrl: string;
  transport: TransportOptions;
  a: Credential;
  b: Credential;
  log: CheckLog;
  /** Short random tag in every name the run creates, so leftovers are recognisable. */
  runTag: string;
  /** How long a subscription is watched for what must not arrive. */
  subscriptionWindowMs: number;
}

export function gql<T = Record<string, unknown>>(context: SelftestContext, as: Credential | undefined, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer<T>> {
  return postGraphQL<T>(context.graphqlUrl, as?.secret, query, variables, context.transport);
}

/** The data of an answer, or an error naming the operation and the codes (for set-up steps that must work). */
export async function gqlData<T>(context: SelftestContext, as: Credential, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const answer = await gql<T>(context, as, query, variables);
  if (answer.errors?.length || !answer.data) {
    throw new Error(`${query.slice(0, 60).replace(/\s+/g, ' ')}…: HTTP ${answer.status} ${JSON.stringify(answer.errors ?? []).slice(0, 300)}`);
  }
  return answer.data;
}

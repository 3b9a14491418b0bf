export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors: Array<{ message: string; path?: unknown[]; extensions?: { code?: string; [key: string]: unknown } }> | undefined;
  headers: Headers;
}

/** POSTs an operation with a bearer token, as any web front end would. */
export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
  extraHeaders: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extraHeaders },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T | null; errors?: GraphQLResponse['errors'] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { errors: [{ message: `non-JSON response: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
}

/** The codes of all errors in a response, for `expect(codes(res)).toEqual(['NOT_FOUND'])`. */
export function errorCodes(response: { errors?: GraphQLResponse['errors'] }): string[] {
  return (response.errors ?? []).map((error) => String(error.extensions?.code));
}

/** Fails with the whole response when it carries errors, so a broken test says why. */
export function expectNoErrors<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`expected no errors, got HTTP ${response.status}: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

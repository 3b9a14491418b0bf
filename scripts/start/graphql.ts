/** A minimal GraphQL-over-HTTP call that throws with the server's own words on any error. */
export async function graphql<T>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`GraphQL call failed with HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  if (body.errors?.length || !body.data) {
    const reasons = (body.errors ?? []).map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; ');
    throw new Error(`GraphQL call failed with HTTP ${response.status}: ${reasons || 'no data'}`);
  }
  return body.data;
}

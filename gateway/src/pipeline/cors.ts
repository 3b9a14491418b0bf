/** Browsers (web front ends, Apollo Sandbox/Studio) need CORS; only listed origins get it. */
export function applyCorsHeaders(origins: readonly string[], origin: string | undefined, setHeader: (name: string, value: string) => void): void {
  if (!origin || !(origins.includes('*') || origins.includes(origin))) return;
  setHeader('access-control-allow-origin', origin);
  setHeader('vary', 'Origin');
  setHeader('access-control-allow-headers', 'authorization, content-type, apollo-require-preflight, x-request-id, x-apollo-operation-name');
  setHeader('access-control-allow-methods', 'GET, POST, PUT, OPTIONS');
  setHeader('access-control-expose-headers', 'x-request-id, retry-after');
  setHeader('access-control-max-age', '600');
}

/** The same headers as a list, for an answer written without a ServerResponse (a refusal of Node's HTTP parser). */
export function corsHeaderList(origins: readonly string[], origin: string | undefined): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  applyCorsHeaders(origins, origin, (name, value) => headers.push([name, value]));
  return headers;
}

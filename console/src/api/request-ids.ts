/**
 * The gateway names every answer with `x-request-id` (exposed to the page by its CORS headers);
 * operators find a request's logs and audit rows by it. The console keeps the id of the latest
 * answer, so a view that cannot show an answer can say which request it came from.
 */
let latest: string | undefined;

export function latestRequestId(): string | undefined {
  return latest;
}

/** `fetch` for the API client: the same call, remembering each answer's request id. */
export const fetchRecordingRequestId: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  latest = response.headers.get('x-request-id') ?? latest;
  return response;
};

import { errors } from '@tessera/errors';
import { ipLiteralOf, type WebhookAddressPolicy } from './webhook-address-policy';
import { isAddressRefused, resolveAllowed, type ResolveHost } from './webhook-lookup';

/** How long saving a webhook waits for its host name to resolve before accepting it unchecked. */
const resolveBudgetMs = 3_000;

const refusedMessage = 'url must not point at a loopback, private, link-local or cloud-metadata address (nor at a host name resolving to one).';

/**
 * Checks a webhook URL as it is saved: http(s) only, no credentials, at most 2048 characters, and a
 * host that is not, and does not resolve to, an address the policy refuses. This catches mistakes
 * early with a clear message; it is not what protects the network: a name may resolve differently
 * later, so every delivery checks again where it connects (webhook-transport).
 */
/** `owner`: the tenant saving it (its lookups count against its share). */
export async function validateWebhookUrl(value: string, policy: WebhookAddressPolicy, resolve: ResolveHost, owner?: string): Promise<string> {
  let url: URL;
  try {
    if (typeof value !== 'string' || value.length > 2048) throw new Error('length');
    url = new URL(value.trim());
  } catch {
    throw errors.badInput('url must be an absolute http(s) URL of at most 2048 characters.', { field: 'url' });
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || !url.hostname) {
    throw errors.badInput('url must be an http(s) URL without credentials.', { field: 'url' });
  }
  const literal = ipLiteralOf(url.hostname);
  if (literal !== undefined) {
    if (!policy.allowsAddress(literal)) throw errors.badInput(refusedMessage, { field: 'url' });
    return url.toString();
  }
  try {
    await withBudget(resolveAllowed(policy, resolve, url.hostname, 0, owner));
  } catch (error) {
    if (isAddressRefused(error)) throw errors.badInput(refusedMessage, { field: 'url' });
    // Not resolvable now (not yet published, or DNS is slow): accepted; each delivery resolves again.
  }
  return url.toString();
}

function withBudget<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('resolution took too long')), resolveBudgetMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

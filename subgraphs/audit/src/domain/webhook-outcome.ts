/**
 * How a webhook attempt ended, in the platform's own words. This is all a tenant is told: never the
 * receiver's status code, headers or body, and never the error text of a connection. Otherwise a
 * webhook pointed at a host the audit service can reach would turn it into a probe that reports
 * what answered there.
 */
export const webhookOutcomes = ['DELIVERED', 'REFUSED_ADDRESS', 'CONNECTION_FAILED', 'TIMEOUT', 'REDIRECT_NOT_FOLLOWED', 'HTTP_ERROR', 'WEBHOOK_REMOVED'] as const;
export type WebhookOutcome = (typeof webhookOutcomes)[number];

export function isWebhookOutcome(value: unknown): value is WebhookOutcome {
  return typeof value === 'string' && (webhookOutcomes as readonly string[]).includes(value);
}

/** The one sentence shown as `lastError` for each failed outcome. */
export const outcomeDescriptions: Record<Exclude<WebhookOutcome, 'DELIVERED'>, string> = {
  REFUSED_ADDRESS: 'Not sent: the webhook host is, or resolves to, an address webhooks may not reach (loopback, private, link-local or metadata).',
  CONNECTION_FAILED: 'No connection: the host name did not resolve, or the connection or TLS handshake failed.',
  TIMEOUT: 'The receiver did not answer in time.',
  REDIRECT_NOT_FOLLOWED: 'The receiver answered with a redirect; redirects are not followed.',
  HTTP_ERROR: 'The receiver answered with an error status (neither 2xx nor a redirect).',
  WEBHOOK_REMOVED: 'Not sent: the webhook was removed.',
};

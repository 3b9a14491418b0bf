/** The public endpoint: HTTPS with a certificate that verifies, and plain HTTP refused or redirected. */
import type { SelftestContext } from './context';
import { probePlaintext, probeTls } from './http-client';

/**
 * Always verifies the certificate (nothing is sent to an endpoint that does not verify); with
 * `report` false only a failure is logged.
 */
export async function probeTransport(context: SelftestContext, report = true): Promise<boolean> {
  const quiet = { expect: (name: string, ok: boolean, detail: string) => ok || context.log.expect(name, ok, detail), fail: (name: string, detail: string) => context.log.fail(name, detail) };
  const log = report ? context.log : quiet;
  const url = new URL(context.graphqlUrl);
  if (url.protocol !== 'https:') {
    log.fail('tls.https', `the URL is ${url.protocol.replace(':', '')}, not https: tokens would cross the network in clear`);
    return false;
  }
  try {
    const facts = await probeTls(context.graphqlUrl, context.transport);
    log.expect(
      'tls.certificate',
      facts.authorized,
      facts.authorized
        ? `verified against ${context.transport.ca ? 'the --ca file' : 'the public roots'}: CN ${facts.subject}, valid to ${facts.validTo}`
        : `does not verify against ${context.transport.ca ? 'the --ca file' : 'the public roots'}: ${facts.authorizationError ?? 'unknown reason'}`,
    );
    const modern = facts.protocol === 'TLSv1.3' || facts.protocol === 'TLSv1.2';
    log.expect('tls.version', modern, `${facts.protocol ?? 'unknown'}${modern ? '' : ' (older than TLS 1.2)'}`);
    if (!facts.authorized) return false;
  } catch (error) {
    log.fail('tls.certificate', `no TLS handshake with ${url.host}: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
  if (!report) return true;
  const plain = new URL(context.graphqlUrl);
  plain.protocol = 'http:';
  const samePort = await probePlaintext(plain.toString(), 5_000);
  log.expect('tls.plaintext-same-port', samePort.outcome !== 'answered', `${samePort.outcome}: ${samePort.detail}`);
  if (!url.port || url.port === '443') {
    const port80 = new URL(plain.toString());
    port80.port = '80';
    const answer = await probePlaintext(port80.toString(), 5_000);
    log.expect('tls.plaintext-port-80', answer.outcome !== 'answered', `${answer.outcome}: ${answer.detail}`);
  }
  return true;
}

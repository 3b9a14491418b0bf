import type { Request } from 'express';
import { serviceTokenHeader, type ServiceTokenVerifier } from '@tessera/auth';
import { errors } from '@tessera/errors';

/**
 * The one place a port endpoint learns which service is calling. Today: the signed service token
 * (bound to the port and the body). With mutual TLS in place this reads the verified peer
 * certificate's CN instead (`req.socket.getPeerCertificate().subject.CN` when
 * `req.socket.authorized`), and nothing else in the endpoint changes.
 * Throws UNAUTHENTICATED when the caller proves nothing.
 */
export async function callerServiceOf(req: Request, port: string, rawBody: string, verify: ServiceTokenVerifier | undefined): Promise<string> {
  // A process given no caller keys publishes its ports to nobody.
  if (!verify) throw errors.unauthenticated('This service accepts no port calls: no caller keys are configured.');
  const header = req.headers[serviceTokenHeader];
  return verify(Array.isArray(header) ? header[0] : header, { port, body: rawBody });
}

import type { Request } from 'express';
import { serviceTokenHeader, type ServiceTokenVerifier } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { peerIdentity } from '../tls';

/**
 * The one place a port endpoint learns which service is calling. Two proofs must agree: the
 * verified client certificate of the mutual-TLS connection (its subject CN is the service
 * identity) and the signed service token (bound to the port and the exact body, so a captured
 * call cannot be replayed with another input). A token of one service presented over another
 * service's connection is refused. Throws UNAUTHENTICATED when the caller proves less.
 */
export async function callerServiceOf(req: Request, port: string, rawBody: string, verify: ServiceTokenVerifier | undefined): Promise<string> {
  // A process given no caller keys publishes its ports to nobody.
  if (!verify) throw errors.unauthenticated('This service accepts no port calls: no caller keys are configured.');
  const connection = peerIdentity(req.socket);
  if (!connection) throw errors.unauthenticated('A port call comes over mutual TLS with a service certificate.');
  const header = req.headers[serviceTokenHeader];
  const service = await verify(Array.isArray(header) ? header[0] : header, { port, body: rawBody });
  if (service !== connection) throw errors.unauthenticated('The service token and the client certificate name different services.');
  return service;
}

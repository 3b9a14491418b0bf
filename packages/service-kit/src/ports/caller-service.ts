import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import { serviceTokenHeader, verifyCertificateBoundServiceToken, type ServiceTokenVerifier } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { peerIdentity } from '../tls';
import { dedicatedWorkerTenantOf } from './dedicated-worker-identity';
import { regionOfSubjectAltName } from './worker-region';

/** Who is calling a port: the identity its certificate names, the service it calls as, and the one tenant it may act for (a dedicated tenant's workers). */
export interface PortCaller {
  identity: string;
  service: string;
  /** Set for a dedicated tenant's workers: every call must concern this tenant's jobs. */
  tenantId: string | undefined;
  /**
   * The workers' region, as their certificate names it (undefined: another service, or a worker
   * certificate that names no region, which acts for no tenant).
   */
  region: string | undefined;
}

/**
 * The one place a port endpoint learns which service is calling. Two proofs must agree: the
 * verified client certificate of the mutual-TLS connection (its subject CN is the service
 * identity) and the signed service token (bound to the port and the exact body, so a captured
 * call cannot be replayed with another input). A token of one service presented over another
 * service's connection is refused. A dedicated tenant's worker signs with its certificate's own
 * key (no shared SERVICE_KEY), so its token verifies only over a connection made with that
 * certificate. Throws UNAUTHENTICATED when the caller proves less.
 */
export async function callerServiceOf(req: Request, port: string, rawBody: string, verify: ServiceTokenVerifier | undefined): Promise<PortCaller> {
  // A process given no caller keys publishes its ports to nobody.
  if (!verify) throw errors.unauthenticated('This service accepts no port calls: no caller keys are configured.');
  const connection = peerIdentity(req.socket);
  if (!connection) throw errors.unauthenticated('A port call comes over mutual TLS with a service certificate.');
  const header = req.headers[serviceTokenHeader];
  const token = Array.isArray(header) ? header[0] : header;
  const ringTenant = dedicatedWorkerTenantOf(connection);
  if (ringTenant) {
    const raw = (req.socket as TLSSocket).getPeerCertificate().raw;
    const certificate = new X509Certificate(raw);
    await verifyCertificateBoundServiceToken(token, certificate.publicKey, { port, body: rawBody, issuer: connection });
    return { identity: connection, service: 'workers', tenantId: ringTenant, region: regionOfSubjectAltName(certificate.subjectAltName) };
  }
  const service = await verify(token, { port, body: rawBody });
  if (service !== connection) throw errors.unauthenticated('The service token and the client certificate name different services.');
  // The shared pool signs with one SERVICE_KEY in every region: its region is the certificate's.
  const region = service === 'workers' ? regionOfSubjectAltName((req.socket as TLSSocket).getPeerCertificate().subjectaltname) : undefined;
  return { identity: connection, service, tenantId: undefined, region };
}

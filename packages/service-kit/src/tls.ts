import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, createSecureContext, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import { certificateThumbprint } from '@tessera/auth';

/** One service identity: its certificate and key, and the CA that issued every peer's (PEM text). */
export interface TlsIdentity {
  ca: string;
  cert: string;
  key: string;
}

/** Where a process finds the identity of each service it runs (one in production, all of them in `npm start` and tests). */
export type TlsIdentities = (serviceName: string) => TlsIdentity;

/** How a server listens over TLS: with mutual TLS when `allowedClients` is given. */
export interface ServerTls {
  identity: TlsIdentity;
  /**
   * Mutual TLS: a client must present a certificate issued by the CA whose subject CN is one of
   * these service identities; any other connection is closed before its first request is read.
   */
  allowedClients?: readonly string[] | undefined;
}

/** The subject CN of a certificate: the service identity our CA names. */
export function certificateIdentity(certificate: string | Buffer): string | undefined {
  const subject = new X509Certificate(certificate).subject;
  return /(?:^|\n)CN=([^\n]+)/.exec(subject)?.[1];
}

/** The service identity of the verified client certificate of a TLS connection (undefined: none, or not verified). */
export function peerIdentity(socket: unknown): string | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (!tls?.authorized || typeof tls.getPeerCertificate !== 'function') return undefined;
  const cn = tls.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' ? cn : undefined;
}

/** Per connection: a keep-alive connection carries many requests, its certificate never changes. */
const thumbprints = new WeakMap<object, string>();

/** The `x5t#S256` thumbprint of the verified client certificate of a connection, for the context's `cnf` check. */
export function peerCertificateThumbprint(socket: unknown): string | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (!tls?.authorized || typeof tls.getPeerCertificate !== 'function') return undefined;
  const known = thumbprints.get(tls);
  if (known) return known;
  const raw = tls.getPeerCertificate().raw;
  if (!raw) return undefined;
  const thumbprint = certificateThumbprint(raw);
  thumbprints.set(tls, thumbprint);
  return thumbprint;
}

/**
 * How one service connects to another over mutual TLS: it presents its own certificate and
 * accepts only a server certificate of the same CA that names the service it meant to reach (a
 * service's certificate names its identity, whatever address it listens on).
 */
export function mutualTlsClientOptions(identity: TlsIdentity, peer: string): ConnectionOptions {
  return {
    ca: identity.ca,
    cert: identity.cert,
    key: identity.key,
    // Parsed once, not per connection (new sockets are opened under load and for every subscription socket).
    secureContext: secureContextOf(identity),
    minVersion: 'TLSv1.2',
    servername: peer,
    rejectUnauthorized: true,
    checkServerIdentity: (_host, certificate) => checkServerIdentity(peer, certificate),
  };
}

const contexts = new WeakMap<TlsIdentity, SecureContext>();

function secureContextOf(identity: TlsIdentity): SecureContext {
  let context = contexts.get(identity);
  if (!context) {
    context = createSecureContext({ ca: identity.ca, cert: identity.cert, key: identity.key, minVersion: 'TLSv1.2' });
    contexts.set(identity, context);
  }
  return context;
}

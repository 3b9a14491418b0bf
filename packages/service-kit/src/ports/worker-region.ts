import { X509Certificate } from 'node:crypto';

/**
 * A worker's certificate names the region whose jobs it runs: one URI SAN
 * `urn:tessera:region:<region>`, issued by the platform CA with the rest of the certificate. The
 * shared pool's workers keep the CN `workers` (one SERVICE_KEY signs for every region) but hold one
 * certificate per region, so the region is part of what the TLS handshake proves, not something a
 * worker says about itself; a dedicated tenant's workers (`workers-dedicated-<tenant>`) carry their
 * tenant's region the same way. The port endpoints compare it with the tenant's current region.
 */
const regionUriPrefix = 'urn:tessera:region:';
const regionPattern = /^[a-z0-9]+(-[a-z0-9]+){0,5}$/;

/** The SAN entry that names a region (for whatever issues worker certificates). */
export function workerRegionUri(region: string): string {
  if (!regionPattern.test(region) || region.length > 40) throw new Error(`not a region name: ${region}`);
  return `${regionUriPrefix}${region}`;
}

/**
 * The region a certificate's subjectAltName (Node's `DNS:a, URI:b` text) names. Undefined when it
 * names none, or more than one: a certificate that could pass for two regions passes for neither.
 */
export function regionOfSubjectAltName(subjectAltName: string | undefined): string | undefined {
  if (!subjectAltName) return undefined;
  const regions = subjectAltName
    .split(', ')
    .filter((entry) => entry.startsWith(`URI:${regionUriPrefix}`))
    .map((entry) => entry.slice(`URI:${regionUriPrefix}`.length));
  const [region] = regions;
  return regions.length === 1 && region !== undefined && regionPattern.test(region) && region.length <= 40 ? region : undefined;
}

/** The region a PEM or DER certificate names (see above). */
export function certificateRegion(certificate: string | Buffer): string | undefined {
  return regionOfSubjectAltName(new X509Certificate(certificate).subjectAltName);
}

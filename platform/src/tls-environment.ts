import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { commaList } from '@tessera/config';
import type { TlsIdentity } from '@tessera/service-kit';

/**
 * Every service's TLS identity: its certificate and key, and the CA its peers' certificates must
 * chain to. Files, not values: they are mounted (a secret volume, cert-manager, a mesh's workload
 * certificate helper) and rotated in place. A fresh start reads them again.
 */
export const tlsVariables = z.object({
  TLS_CA_FILE: z.string().min(1),
  TLS_CERT_FILE: z.string().min(1),
  TLS_KEY_FILE: z.string().min(1),
});

/** The client identities (certificate subject CN) a subgraph answers; itself too, so its healthcheck can use its own certificate. */
export const subgraphTlsVariables = tlsVariables.extend({
  TLS_ALLOWED_CLIENTS: commaList().default(['gateway']),
});

/** The public endpoint: the service certificate unless another one is given; `off` only behind a TLS-terminating ingress. */
export const gatewayTlsVariables = tlsVariables.extend({
  GATEWAY_PUBLIC_TLS: z.enum(['on', 'off']).default('on'),
  GATEWAY_PUBLIC_TLS_CERT_FILE: z.string().min(1).optional(),
  GATEWAY_PUBLIC_TLS_KEY_FILE: z.string().min(1).optional(),
  /** Lifetime of an internal context (1–30 s). */
  INTERNAL_CONTEXT_TTL_SECONDS: z.coerce.number().int().min(1).max(30).default(30),
});

/** Where a service's TLS identity is: paths, read when the service starts (readTlsFiles). */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export function toTlsFiles(parsed: z.infer<typeof tlsVariables>): TlsFiles {
  return { caFile: parsed.TLS_CA_FILE, certFile: parsed.TLS_CERT_FILE, keyFile: parsed.TLS_KEY_FILE };
}

export function readTlsFiles(files: TlsFiles): TlsIdentity {
  return { ca: readFileSync(files.caFile, 'utf8'), cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
}

/** The public endpoint's files: undefined = the service identity's; 'plaintext' = plain HTTP (behind an ingress). */
export function toPublicTlsFiles(parsed: z.infer<typeof gatewayTlsVariables>): { certFile: string; keyFile: string } | 'plaintext' | undefined {
  if (parsed.GATEWAY_PUBLIC_TLS === 'off') return 'plaintext';
  if (!parsed.GATEWAY_PUBLIC_TLS_CERT_FILE || !parsed.GATEWAY_PUBLIC_TLS_KEY_FILE) return undefined;
  return { certFile: parsed.GATEWAY_PUBLIC_TLS_CERT_FILE, keyFile: parsed.GATEWAY_PUBLIC_TLS_KEY_FILE };
}

export function readPublicTlsFiles(files: { certFile: string; keyFile: string } | 'plaintext' | undefined): { cert: string; key: string } | 'plaintext' | undefined {
  if (files === undefined || files === 'plaintext') return files;
  return { cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
}

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { TlsIdentity } from './tls';

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

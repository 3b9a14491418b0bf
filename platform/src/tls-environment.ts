import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { commaList } from '@tessera/config';
import { tlsVariables } from '@tessera/service-kit';

export { tlsVariables, toTlsFiles, readTlsFiles, type TlsFiles } from '@tessera/service-kit';

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

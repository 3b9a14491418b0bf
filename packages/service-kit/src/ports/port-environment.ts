import { z } from 'zod';
import { jsonWebKey, url } from '@tessera/config';
import type { JWK } from 'jose';

/**
 * The variables of service-to-service calls. A caller needs its own SERVICE_KEY and the base URL
 * of each owner it calls; an owner needs PORT_CALLER_KEYS (who may call it at all). Each is
 * optional here and required by the service that uses it (see `requirePortVariable`).
 */
export const portVariables = z.object({
  // This service's private ES256 JWK: signs its identity into port calls (until mTLS carries it).
  SERVICE_KEY: jsonWebKey().optional(),
  // JSON object: calling service name → its public JWK. Without it this process's ports answer nobody.
  PORT_CALLER_KEYS: z
    .string()
    .transform((value, ctx) => {
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((key) => typeof key === 'object' && key !== null && 'kty' in key && !('d' in key))) {
          return parsed as Record<string, JWK>;
        }
      } catch {
        // fall through to the issue below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of service name → public JSON Web Key' });
      return z.NEVER;
    })
    .optional(),
});

export type PortVariables = z.infer<typeof portVariables>;

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { z } from 'zod';
import { generateInternalKeyPair } from '@tessera/auth';
import { demoUsers } from './demo-users';
import { LaunchError } from './launch-error';

export const stateDirectory = join(__dirname, '..', '..', '.tessera');
export const secretsFile = join(stateDirectory, 'secrets.json');

const jwk = z.looseObject({ kty: z.string() }).transform((value) => value as JWK);

const secretsSchema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  /**
   * The retired platform master key of an installation from before the key provider: read once, to
   * move the data keys it wrapped to the key service (`.tessera/keys`), then removed from this file.
   */
  masterKey: z.string().refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64').optional(),
  internalContextKeys: z.object({ privateJwk: jwk, publicJwk: jwk }),
  s3: z.object({ accessKey: z.string().min(3), secretKey: z.string().min(8) }),
  issuerSigningKey: jwk.refine((key) => key.kty === 'EC' && key.crv === 'P-256' && typeof key.d === 'string', 'must be a private EC P-256 JWK'),
  clientSecrets: z.record(z.string(), z.string().min(16)),
  /** Signs audit chain checkpoints (Ed25519). Optional here only so older secrets files get one added. */
  auditSigningKey: jwk.refine((key) => key.kty === 'OKP' && key.crv === 'Ed25519' && typeof key.d === 'string', 'must be a private Ed25519 JWK').optional(),
});

export type LocalSecrets = z.infer<typeof secretsSchema>;

/**
 * The local installation's secrets, generated on first start and reused afterwards, so tokens,
 * encrypted objects and tenant keys survive restarts. Kept in .tessera/secrets.json (gitignored,
 * mode 0600). A demo user added later gets its client secret on the next start.
 */
export async function loadOrCreateSecrets(): Promise<{ secrets: LocalSecrets; created: boolean }> {
  mkdirSync(stateDirectory, { recursive: true, mode: 0o700 });
  if (!existsSync(secretsFile)) {
    const secrets: LocalSecrets = {
      version: 1,
      createdAt: new Date().toISOString(),
      internalContextKeys: await generateInternalKeyPair(),
      s3: { accessKey: `tessera${randomBytes(6).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') },
      issuerSigningKey: generateIssuerSigningKey(),
      clientSecrets: Object.fromEntries(demoUsers.map((user) => [user.clientId, newClientSecret()])),
      auditSigningKey: generateAuditSigningKey(),
    };
    writeSecrets(secrets, 'wx');
    return { secrets, created: true };
  }

  if ((statSync(secretsFile).mode & 0o077) !== 0) chmodSync(secretsFile, 0o600);
  let secrets: LocalSecrets;
  try {
    secrets = secretsSchema.parse(JSON.parse(readFileSync(secretsFile, 'utf8')));
  } catch (error) {
    const detail = error instanceof z.ZodError ? error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') : (error as Error).message;
    throw new LaunchError(
      `${secretsFile} is not valid (${detail}).\n` +
        '  Fix it, or move it away to generate new secrets (then also drop the tessera_control and tenant_* schemas,\n' +
        '  .tessera/s3 and .tessera/keys for a clean start).',
      1,
    );
  }
  const missing = demoUsers.filter((user) => !secrets.clientSecrets[user.clientId]);
  if (missing.length > 0 || !secrets.auditSigningKey) {
    for (const user of missing) secrets.clientSecrets[user.clientId] = newClientSecret();
    secrets.auditSigningKey ??= generateAuditSigningKey();
    writeSecrets(secrets, 'w');
  }
  return { secrets, created: false };
}

/** Once the data keys it wrapped are with the key service, the master key is kept nowhere. */
export function forgetLegacyMasterKey(secrets: LocalSecrets): void {
  delete secrets.masterKey;
  writeSecrets(secrets, 'w');
}

function writeSecrets(secrets: LocalSecrets, flag: 'w' | 'wx'): void {
  writeFileSync(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag });
}

function generateAuditSigningKey(): JWK {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as JWK;
}

function newClientSecret(): string {
  return randomBytes(24).toString('base64url');
}

function generateIssuerSigningKey(): JWK {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), alg: 'ES256', use: 'sig' };
}

/**
 * The erasure receipt's signature: signed with the audit signing key, verified by the service and
 * offline by scripts/verify-erasure-receipt.ts with the published public keys only; a tampered
 * receipt, one under another key, or another document type does not verify.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ErasureReceiptSigner, tenantIdHash, tenantPseudonym, verifyErasureReceiptJws, type ErasureReceiptPayload } from '../src/domain/erasure-receipt';

const run = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
let dir: string;

async function privateJwk(alg: 'EdDSA' | 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : 'P-256', extractable: true });
  return exportJWK(privateKey);
}

function receipt(tenantId: string): ErasureReceiptPayload {
  return {
    type: 'tessera.erasure-receipt',
    version: 1,
    requestId: 'er_1',
    tenantPseudonym: tenantPseudonym('platform-secret', tenantId),
    tenantIdHash: tenantIdHash(tenantId),
    region: 'eu-west-1',
    requestedAt: '2026-12-01T10:00:00.000Z',
    erasedAt: '2026-12-04T10:00:00.000Z',
    destroyed: {
      schema: { name: `tenant_${tenantId}`, dropped: true },
      buckets: [{ bucket: `tessera-${tenantId}`, region: 'eu-west-1', objects: 12, objectVersions: 12, bytes: 40960 }],
      keys: [{ keyId: `tessera-tenant-${tenantId}`, destroyedAt: '2026-12-04T10:00:00.000Z', dataKeyVersions: [1, 2] }],
      redisKeys: 7,
      controlPlaneRows: { tenant_keys: 2, tenants: 1 },
    },
    kept: [{ what: 'platform security log entries, tenant id pseudonymised', why: 'security and legal obligation' }],
  };
}

async function offline(jws: string, keys: unknown, tenantId?: string): Promise<{ code: number; out: string }> {
  const receiptFile = join(dir, `r${Math.random()}.jws`);
  const keysFile = join(dir, `k${Math.random()}.json`);
  writeFileSync(receiptFile, jws);
  writeFileSync(keysFile, JSON.stringify(keys));
  try {
    const { stdout } = await run(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/verify-erasure-receipt.ts'), receiptFile, keysFile, ...(tenantId ? [tenantId] : [])]);
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, out: failed.stderr };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-receipt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('erasure receipt', () => {
  it.each(['EdDSA', 'ES256'] as const)('%s: verifies under the published public key, online and offline; a tampered copy does not', async (alg) => {
    const signer = await ErasureReceiptSigner.fromJwk(await privateJwk(alg));
    const jws = await signer.sign(receipt('acme'));
    const checked = await signer.verify(jws);
    expect(checked).toMatchObject({ valid: true, keyId: signer.keyId, payload: { tenantIdHash: tenantIdHash('acme') } });
    expect(signer.publicJwks.every((jwk) => jwk.d === undefined)).toBe(true);

    const published = [{ keyId: signer.keyId, algorithm: alg, publicJwk: JSON.stringify(signer.publicJwks[0]), current: true }];
    const good = await offline(jws, published, 'acme');
    expect(good.code).toBe(0);
    expect(good.out).toContain(`VALID: signed by key ${signer.keyId}`);
    expect((await offline(jws, published, 'other')).code).toBe(1); // another tenant's id does not match

    const [head, body, signature] = jws.split('.');
    const altered = JSON.parse(Buffer.from(body!, 'base64url').toString()) as ErasureReceiptPayload;
    altered.destroyed.buckets[0]!.objects = 11;
    const tampered = `${head}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${signature}`;
    expect(await signer.verify(tampered)).toEqual({ valid: false, reason: 'BAD_SIGNATURE' });
    const rejected = await offline(tampered, published);
    expect(rejected.code).toBe(1);
    expect(rejected.out).toContain('INVALID');
  }, 60_000);

  it('does not verify under another key, nor a checkpoint-typed document signed with the same key', async () => {
    const key = await privateJwk('EdDSA');
    const signer = await ErasureReceiptSigner.fromJwk(key);
    const stranger = await ErasureReceiptSigner.fromJwk(await privateJwk('EdDSA'));
    const forged = await stranger.sign(receipt('acme'));
    expect(await signer.verify(forged)).toEqual({ valid: false, reason: 'UNKNOWN_KEY' });
    expect((await offline(forged, signer.publicJwks)).code).toBe(1);

    const { importJWK } = await import('jose');
    const otherType = await new CompactSign(Buffer.from(JSON.stringify(receipt('acme'))))
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.keyId, typ: 'tessera-audit-checkpoint+jws' })
      .sign(await importJWK(key, 'EdDSA'));
    expect(await verifyErasureReceiptJws(otherType, signer.publicJwks)).toEqual({ valid: false, reason: 'WRONG_TYPE' });
  }, 60_000);

  it('verifies a receipt signed before a key rotation with the retired public key; pseudonyms depend on the platform secret', async () => {
    const old = await ErasureReceiptSigner.fromJwk(await privateJwk('ES256'));
    const jws = await old.sign(receipt('acme'));
    const rotated = await ErasureReceiptSigner.fromJwk(await privateJwk('EdDSA'), [old.publicJwks[0]!]);
    expect((await rotated.verify(jws)).valid).toBe(true);
    expect(tenantPseudonym('s1', 'acme')).not.toBe(tenantPseudonym('s2', 'acme'));
    expect(tenantPseudonym('s1', 'acme')).not.toContain('acme');
  });
});

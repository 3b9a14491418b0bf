/**
 * Offline check of a Tessera erasure receipt, with nothing but the receipt and the platform's
 * published audit public keys (the `auditSigningKeys` answer, or AUDIT_VERIFY_KEYS: a JSON array
 * of public JWKs). Depends on `jose` alone, so an auditor can run it outside the platform:
 *
 *   npx tsx scripts/verify-erasure-receipt.ts RECEIPT.jws PUBLIC-KEYS.json [TENANT-ID]
 *
 * Prints the receipt's contents and exits 0 when the signature is by one of the keys (matched by
 * the `kid`, the JWK thumbprint) and the header says it is an erasure receipt; with TENANT-ID, also
 * checks that the receipt is that tenant's (SHA-256 of the id). Exits 1 otherwise.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';

async function main(): Promise<number> {
  const [receiptFile, keysFile, tenantId] = process.argv.slice(2);
  if (!receiptFile || !keysFile) {
    process.stderr.write('usage: verify-erasure-receipt RECEIPT.jws PUBLIC-KEYS.json [TENANT-ID]\n');
    return 2;
  }
  const jws = readFileSync(receiptFile, 'utf8').trim();
  const parsedKeys = JSON.parse(readFileSync(keysFile, 'utf8')) as unknown;
  // Accepts a JWK array, or `auditSigningKeys` entries ({ publicJwk: "<json>" | JWK }).
  const keys = (Array.isArray(parsedKeys) ? parsedKeys : [parsedKeys]).map((entry) => {
    const record = entry as { publicJwk?: unknown };
    const jwk = record.publicJwk === undefined ? entry : typeof record.publicJwk === 'string' ? JSON.parse(record.publicJwk) : record.publicJwk;
    return jwk as JWK;
  });
  const header = decodeProtectedHeader(jws);
  if (header.typ !== 'tessera-erasure-receipt+jws') return fail('not an erasure receipt (typ)');
  for (const key of keys) {
    if (typeof key.d === 'string') return fail('the keys file holds a private key: use the published public keys');
    const { kty, crv, x, y } = key;
    const publicJwk: JWK = y === undefined ? { kty, crv, x } : { kty, crv, x, y };
    if ((await calculateJwkThumbprint(publicJwk)) !== header.kid) continue;
    const alg = kty === 'OKP' ? 'EdDSA' : 'ES256';
    if (header.alg !== alg) return fail('algorithm does not match the key');
    let payloadBytes: Uint8Array;
    try {
      ({ payload: payloadBytes } = await compactVerify(jws, await importJWK(publicJwk, alg), { algorithms: [alg] }));
    } catch {
      return fail('INVALID signature');
    }
    const payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8')) as { type?: string; tenantIdHash?: string };
    if (payload.type !== 'tessera.erasure-receipt') return fail('not an erasure receipt (payload type)');
    if (tenantId !== undefined && payload.tenantIdHash !== createHash('sha256').update(tenantId).digest('hex')) return fail(`the receipt is not tenant ${tenantId}'s`);
    process.stdout.write(`${JSON.stringify(payload, null, 2)}\nVALID: signed by key ${String(header.kid)}\n`);
    return 0;
  }
  return fail(`no published key has kid ${String(header.kid)}`);
}

function fail(message: string): number {
  process.stderr.write(`INVALID: ${message}\n`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`INVALID: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

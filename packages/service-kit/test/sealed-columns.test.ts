import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { isTesseraError } from '@tessera/errors';
import { ColumnSealer, isSealedText, openWithKeys, sealedJsonColumnValue, sealedKeyVersion, sealWithKey, type ColumnKeys, type SealedText } from '../src/sealed-columns';

/** A tenant's keyring in memory: versions 1..n, the last one current (no database, so no data-key floor to hold). */
function keysOf(tenantId: string, versions: Map<number, Buffer>): ColumnKeys {
  return {
    tenantId,
    sealingKey: async () => {
      const version = Math.max(...versions.keys());
      return { dataKey: versions.get(version)!, keyVersion: version };
    },
    keyFor: async (version) => {
      const key = versions.get(version);
      if (!key) throw new Error(`no data key version ${version}`);
      return key;
    },
  };
}

const cell = { table: 'jobs', column: 'result_json', rowId: '5b3c3f4e-0000-4000-8000-000000000001' };
/** The in-memory keys never look at the transaction (the floor is tested against the database in subgraphs/tenants). */
const within = {} as EntityManager;

async function expectRejected(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isTesseraError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'CONFLICT', extensions: { reason: 'SEALED_VALUE_REJECTED' } });
}

describe('sealed columns', () => {
  const v1 = randomBytes(32);
  const v2 = randomBytes(32);

  it('round-trips a JSON value under the current version, with no plaintext in the envelope', async () => {
    const sealer = new ColumnSealer(keysOf('acme', new Map([[1, v1]])));
    const value = { topValues: [{ value: 'secret-top-value', count: 3 }], mean: 4.5 };
    const { sealed, keyVersion } = await sealer.sealJson(value, cell, within);
    expect(keyVersion).toBe(1);
    expect(sealed).toMatch(/^tsc1\.1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('secret');
    expect(Buffer.from(sealed.split('.')[2]!, 'base64url').toString('latin1')).not.toContain('secret-top-value');
    expect(sealedKeyVersion(sealed)).toBe(1);
    // As the driver hands it back: JSON text (MariaDB), the parsed string (MySQL 8), or the raw envelope (text column).
    expect(await sealer.openJson(sealedJsonColumnValue(sealed), cell)).toEqual(value);
    expect(await sealer.openJson(sealed, cell)).toEqual(value);
  });

  it('reads legacy clear values as they are', async () => {
    const sealer = new ColumnSealer(keysOf('acme', new Map([[1, v1]])));
    expect(await sealer.openJson('{"a":1}', cell)).toEqual({ a: 1 });
    expect(await sealer.openJson({ a: 1 }, cell)).toEqual({ a: 1 });
    expect(await sealer.openJson([{ name: 'x' }], cell)).toEqual([{ name: 'x' }]);
    expect(isSealedText('{"a":1}')).toBe(false);
    expect(sealedKeyVersion({ a: 1 })).toBeUndefined();
  });

  it('seals with the newest version after a rotation and still opens the older one', async () => {
    const versions = new Map([[1, v1]]);
    const sealer = new ColumnSealer(keysOf('acme', versions));
    const old = (await sealer.sealJson({ w: [1, 2] }, cell, within)).sealed;
    versions.set(2, v2);
    const fresh = await sealer.sealJson({ w: [3] }, cell, within);
    expect(fresh.keyVersion).toBe(2);
    expect(sealedKeyVersion(fresh.sealed)).toBe(2);
    expect(await sealer.openJson(old, cell)).toEqual({ w: [1, 2] });
    // Once v1 is destroyed, what it sealed no longer opens: a typed error, not a crash.
    versions.delete(1);
    await expectRejected(sealer.openJson(old, cell));
  });

  it('refuses a value moved to another row, column, table or tenant, relabelled or changed', async () => {
    const keys = keysOf('acme', new Map([[1, v1]]));
    const sealed = sealWithKey('{"x":"v"}', { dataKey: v1, keyVersion: 1 }, 'acme', cell);
    await expect(openWithKeys(sealed, keys, cell)).resolves.toBe('{"x":"v"}');
    await expectRejected(openWithKeys(sealed, keys, { ...cell, rowId: '5b3c3f4e-0000-4000-8000-000000000002' }));
    await expectRejected(openWithKeys(sealed, keys, { ...cell, column: 'error_json' }));
    await expectRejected(openWithKeys(sealed, keys, { ...cell, table: 'dataset_versions' }));
    // Tenant B with the very same key bytes still cannot open A's value: the tenant is bound.
    await expectRejected(openWithKeys(sealed, keysOf('beta', new Map([[1, v1]])), cell));
    await expectRejected(openWithKeys(sealed.replace('tsc1.1.', 'tsc1.2.') as SealedText, keysOf('acme', new Map([[1, v1], [2, v1]])), cell));
    const body = Buffer.from(sealed.split('.')[2]!, 'base64url');
    body[20] = body[20]! ^ 1;
    await expectRejected(openWithKeys(`tsc1.1.${body.toString('base64url')}` as SealedText, keys, cell));
    await expectRejected(openWithKeys('tsc1.1.AAAA' as SealedText, keys, cell));
  });

  it('uses a fresh IV for every seal', () => {
    const key = { dataKey: v1, keyVersion: 1 };
    expect(sealWithKey('same', key, 'acme', cell)).not.toBe(sealWithKey('same', key, 'acme', cell));
  });
});

import { Readable } from 'node:stream';
import { isPlainObjectKey, plainObjectKey } from '../src/object-keys';
import { TenantBucket } from '../src/tenant-bucket';
import type { ObjectStoreClient } from '../src/object-store';

describe('plain object keys', () => {
  it('takes the keys the platform makes', () => {
    for (const key of ['datasets/0b6c1f3e-1c1a-4c53-9d5e-0f7a2e9b1c11/job-1-a1.csv', 'audit/checkpoints/00000000000000000001.jws', 'audit-exports/2026-05-01-x.ndjson.proof.json', 'a..b', 'ünïcode/名前']) {
      expect(isPlainObjectKey(key)).toBe(true);
    }
  });

  it('refuses empty, `.` and `..` segments, backslashes, control characters and keys over 1 024 bytes', () => {
    for (const key of ['', '/datasets/x', 'datasets//x', 'datasets/x/', 'datasets/./x', 'datasets/../x', '..', 'datasets/x/../../../tessera-b/y', 'a\\b', 'a\u0000b', 'a\nb', 'é'.repeat(513)]) {
      expect(isPlainObjectKey(key)).toBe(false);
    }
    expect(() => plainObjectKey('datasets/../x')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('a TenantBucket refuses such a key before the store is asked', async () => {
    const calls: string[] = [];
    const client = new Proxy({} as ObjectStoreClient, { get: (_t, name) => (typeof name === 'symbol' || name === 'then' ? undefined : () => { calls.push(String(name)); return Promise.resolve(); }) });
    const bucket = new TenantBucket(client, 'acme', 'tessera-acme');
    const key = 'datasets/x/../../../tessera-globex/datasets/y.csv';
    const dataKey = { dataKey: Buffer.alloc(32, 1), keyVersion: 1 };
    const refused = { code: 'BAD_USER_INPUT' };
    await expect(bucket.remove(key)).rejects.toMatchObject(refused);
    await expect(bucket.exists(key)).rejects.toMatchObject(refused);
    await expect(bucket.storedSizeOf(key)).rejects.toMatchObject(refused);
    await expect(bucket.getDecrypted(key, async () => dataKey.dataKey)).rejects.toMatchObject(refused);
    await expect(bucket.openForReading(key, async () => dataKey.dataKey)).rejects.toMatchObject(refused);
    await expect(bucket.openForWriting(key, dataKey)).rejects.toMatchObject(refused);
    await expect(bucket.putEncrypted(key, Readable.from([Buffer.from('x')]), 1, dataKey)).rejects.toMatchObject(refused);
    expect(await bucket.headerKeyVersion(key).catch((error: { code?: string }) => error.code)).toBe('BAD_USER_INPUT');
    expect(calls).toEqual([]);
  });
});

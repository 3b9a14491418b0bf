import { randomBytes } from 'node:crypto';
import { HEADER_SIZE, createObjectSeal, decryptBuffer, encryptBuffer, generateDataKey, objectKeyOf } from '../src';

/**
 * A seal hands out the key of one object, never the tenant's data key: what it writes reads back
 * with the data key, what the data key wrote reads with the object's key, and that key opens no
 * other object of the tenant.
 */
describe('object seals: one object, one key', () => {
  const dataKey = generateDataKey();
  const ad = 'tenant-a/datasets/d/job-j-a1.csv';

  it('writes with a seal what the data key reads, and reads with the object key what the data key wrote', async () => {
    const plain = randomBytes(200_000);
    const seal = createObjectSeal(dataKey, 3);
    const sealed = await encryptBuffer(plain, { seal, associatedData: ad });
    expect(sealed.subarray(0, HEADER_SIZE)).toEqual(seal.header);
    expect(await decryptBuffer(sealed, { resolveKey: (v) => (v === 3 ? dataKey : randomBytes(32)), associatedData: ad })).toEqual(plain);

    const written = await encryptBuffer(plain, { dataKey, keyVersion: 3, associatedData: ad });
    const objectKey = objectKeyOf(dataKey, written.subarray(0, HEADER_SIZE));
    expect(objectKey.equals(dataKey)).toBe(false);
    expect(await decryptBuffer(written, { objectKey, associatedData: ad })).toEqual(plain);
  });

  it("one object's key does not open another object of the same tenant, nor the same object elsewhere", async () => {
    const first = await encryptBuffer(Buffer.from('first'), { dataKey, keyVersion: 1, associatedData: ad });
    const second = await encryptBuffer(Buffer.from('second'), { dataKey, keyVersion: 1, associatedData: ad });
    const keyOfFirst = objectKeyOf(dataKey, first.subarray(0, HEADER_SIZE));
    await expect(decryptBuffer(second, { objectKey: keyOfFirst, associatedData: ad })).rejects.toMatchObject({ code: 'OBJECT_TAMPERED' });
    await expect(decryptBuffer(first, { objectKey: keyOfFirst, associatedData: 'tenant-b/datasets/d/job-j-a1.csv' })).rejects.toMatchObject({ code: 'OBJECT_TAMPERED' });
  });

  it('gives every seal its own header and key', () => {
    const a = createObjectSeal(dataKey, 1);
    const b = createObjectSeal(dataKey, 1);
    expect(a.header.equals(b.header)).toBe(false);
    expect(a.objectKey.equals(b.objectKey)).toBe(false);
    expect(() => createObjectSeal(Buffer.alloc(5), 1)).toThrow(expect.objectContaining({ code: 'INVALID_DATA_KEY' }));
  });
});

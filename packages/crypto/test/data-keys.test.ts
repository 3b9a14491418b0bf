import { randomBytes } from 'node:crypto';
import { CryptoError, generateDataKey, parseMasterKey, rewrapDataKey, unwrapDataKey, wrapDataKey } from '../src';

const context = { tenantId: 'tenant-a', keyVersion: 1 };

function expectCode(fn: () => unknown, code: CryptoError['code']): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
}

describe('data keys', () => {
  const master = randomBytes(32);

  it('generates 32 random bytes', () => {
    const a = generateDataKey();
    expect(a).toHaveLength(32);
    expect(a.equals(generateDataKey())).toBe(false);
  });

  it('round-trips wrap/unwrap in a compact versioned string', () => {
    const dek = generateDataKey();
    const wrapped = wrapDataKey(master, dek, context);
    expect(wrapped).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(unwrapDataKey(master, wrapped, context).equals(dek)).toBe(true);
    // Random IV: wrapping the same key twice gives different strings.
    expect(wrapDataKey(master, dek, context)).not.toBe(wrapped);
  });

  it('fails with the wrong master key', () => {
    const wrapped = wrapDataKey(master, generateDataKey(), context);
    expectCode(() => unwrapDataKey(randomBytes(32), wrapped, context), 'KEY_UNWRAP_FAILED');
  });

  it('fails when copied to another tenant', () => {
    const wrapped = wrapDataKey(master, generateDataKey(), context);
    expectCode(() => unwrapDataKey(master, wrapped, { ...context, tenantId: 'tenant-b' }), 'KEY_UNWRAP_FAILED');
  });

  it('fails when copied to another key version', () => {
    const wrapped = wrapDataKey(master, generateDataKey(), context);
    expectCode(() => unwrapDataKey(master, wrapped, { ...context, keyVersion: 2 }), 'KEY_UNWRAP_FAILED');
  });

  it('fails on mangled strings', () => {
    const wrapped = wrapDataKey(master, generateDataKey(), context);
    const [, iv, ct, tag] = wrapped.split('.') as [string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const mangled = [
      '',
      'garbage',
      wrapped.slice(0, -2),
      `${wrapped}.extra`,
      `v2.${iv}.${ct}.${tag}`,
      `v1.${flip(iv)}.${ct}.${tag}`,
      `v1.${iv}.${flip(ct)}.${tag}`,
      `v1.${iv}.${ct}.${flip(tag)}`,
      `v1.${iv}.${ct}!.${tag}`,
      `v1.${iv}.${ct}.`,
    ];
    for (const value of mangled) expectCode(() => unwrapDataKey(master, value, context), 'KEY_UNWRAP_FAILED');
  });

  it('rewraps under a new master key', () => {
    const dek = generateDataKey();
    const newMaster = randomBytes(32);
    const rewrapped = rewrapDataKey(master, newMaster, wrapDataKey(master, dek, context), context);
    expect(unwrapDataKey(newMaster, rewrapped, context).equals(dek)).toBe(true);
    expectCode(() => unwrapDataKey(master, rewrapped, context), 'KEY_UNWRAP_FAILED');
  });

  it('rewrap with the wrong old master key fails', () => {
    const wrapped = wrapDataKey(master, generateDataKey(), context);
    expectCode(() => rewrapDataKey(randomBytes(32), randomBytes(32), wrapped, context), 'KEY_UNWRAP_FAILED');
  });

  it('rejects keys of the wrong length', () => {
    expectCode(() => wrapDataKey(randomBytes(16), generateDataKey(), context), 'INVALID_MASTER_KEY');
    expectCode(() => wrapDataKey(master, randomBytes(31), context), 'INVALID_DATA_KEY');
  });
});

describe('parseMasterKey', () => {
  it('accepts base64 and base64url of 32 bytes, with surrounding whitespace', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseMasterKey(`${key.toString('base64url')}\n`).equals(key)).toBe(true);
  });

  it.each([0, 1, 16, 31, 33, 64])('rejects %i bytes with a clear message', (length) => {
    const value = randomBytes(length).toString('base64');
    expectCode(() => parseMasterKey(value), 'INVALID_MASTER_KEY');
    if (length > 0) expect(() => parseMasterKey(value)).toThrow(`exactly 32 bytes (got ${length})`);
  });

  it('rejects non-base64 without echoing the value', () => {
    const value = `${randomBytes(32).toString('base64').slice(0, 40)}!!secret`;
    expectCode(() => parseMasterKey(value), 'INVALID_MASTER_KEY');
    expect(() => parseMasterKey(value)).toThrow(/not valid base64/);
    expect(() => parseMasterKey(value)).not.toThrow(/secret/);
  });
});

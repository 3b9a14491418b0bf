import { TesseraError } from '@tessera/errors';
import { assertTenantId, isTenantId, quoteIdentifier, tenantBucketName, tenantSchemaName } from '../src';

/** The error `fn` throws (fails the test when it throws nothing). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const valid = ['abc', 'acme', 'acme-corp', 'a1b', 'a-1', 'x9-y8-z7', 'tenant-2024', `a${'b'.repeat(31)}`];

const invalid: Array<[string, unknown]> = [
  ['uppercase', 'Acme'],
  ['uppercase inside', 'acMe'],
  ['underscore', 'acme_corp'],
  ['path traversal', '../x'],
  ['slash', 'acme/x'],
  ['dot', 'acme.corp'],
  ['one character', 'a'],
  ['two characters', 'ab'],
  ['33 characters', `a${'b'.repeat(32)}`],
  ['40 characters', `a${'b'.repeat(39)}`],
  ['SQL injection', "x'; DROP DATABASE tessera_control; --"],
  ['backtick', 'acme`x'],
  ['trailing hyphen', 'tenant-'],
  ['leading hyphen', '-abc'],
  ['double hyphen', 'a--b'],
  ['leading digit', '1abc'],
  ['space', 'acme corp'],
  ['surrounding whitespace', ' acme '],
  ['newline', 'acme\n'],
  ['NUL byte', 'acme\u0000'],
  ['non-ASCII letter', 'acmé'],
  ['Cyrillic look-alike', 'аcme'],
  ['empty', ''],
  ['number', 12345],
  ['null', null],
  ['undefined', undefined],
  ['object', { toString: () => 'acme' }],
  ['array', ['acme']],
];

describe('tenant ids', () => {
  it.each(valid)('accepts %j', (id) => {
    expect(isTenantId(id)).toBe(true);
    expect(() => assertTenantId(id)).not.toThrow();
  });

  it.each(invalid)('rejects %s', (_label, id) => {
    expect(isTenantId(id)).toBe(false);
    const error = thrownBy(() => assertTenantId(id));
    expect(error).toBeInstanceOf(TesseraError);
    expect((error as TesseraError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('accepts exactly 3 to 32 characters', () => {
    const lengths = Array.from({ length: 40 }, (_, i) => i + 1).filter((n) => isTenantId(`a${'b'.repeat(n - 1)}`));
    expect(lengths).toEqual(Array.from({ length: 30 }, (_, i) => i + 3));
  });
});

describe('tenant schema and bucket names', () => {
  it('maps an id to tenant_<id> with hyphens as underscores', () => {
    expect(tenantSchemaName('acme')).toBe('tenant_acme');
    expect(tenantSchemaName('acme-corp-eu')).toBe('tenant_acme_corp_eu');
  });

  it('maps distinct ids to distinct schema names (no underscore in ids, so hyphen → underscore is one-to-one)', () => {
    const ids = ['ab-c', 'abc', 'a-bc', 'a-b-c', 'abc-d', 'ab-cd'];
    expect(new Set(ids.map(tenantSchemaName)).size).toBe(ids.length);
    // An id that would collide with ab-c after the mapping is itself refused.
    expect(isTenantId('ab_c')).toBe(false);
  });

  it('builds the bucket name <prefix>-<id>, a valid S3 bucket name', () => {
    expect(tenantBucketName('tessera', 'acme-corp')).toBe('tessera-acme-corp');
    const longest = tenantBucketName('tessera', `a${'b'.repeat(31)}`);
    expect(longest).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  });

  it.each(invalid)('refuses to name a schema or bucket for an invalid id (%s)', (_label, id) => {
    for (const name of [() => tenantSchemaName(id as string), () => tenantBucketName('tessera', id as string)]) {
      const error = thrownBy(name);
      expect(error).toBeInstanceOf(TesseraError);
      expect((error as TesseraError).extensions['code']).toBe('BAD_USER_INPUT');
    }
  });

  it('the schema name of every valid id is an identifier quoteIdentifier accepts', () => {
    for (const id of valid) expect(quoteIdentifier(tenantSchemaName(id))).toBe(`\`${tenantSchemaName(id)}\``);
  });
});

describe('quoteIdentifier', () => {
  it('backtick-quotes plain identifiers', () => {
    expect(quoteIdentifier('tessera_control')).toBe('`tessera_control`');
  });

  it.each(['', 'a`b', 'a b', 'a-b', 'a.b', "a'b", 'a;b', 'tenant_x`; DROP DATABASE y; --', 'ä'])('refuses %j', (name) => {
    expect(() => quoteIdentifier(name)).toThrow(/refusing to quote/);
  });
});

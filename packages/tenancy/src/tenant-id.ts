import { errors } from '@tessera/errors';

/**
 * Tenant ids are lowercase letters, digits and single hyphens, 3–32 characters, starting with a
 * letter. Underscores are not allowed, so the mapping id → schema name (hyphen → underscore) is
 * one-to-one, and every id is also a valid S3 bucket-name fragment. An id that passes this check
 * cannot inject SQL or a path anywhere it is used.
 */
const tenantIdPattern = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,31}$/;

export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && tenantIdPattern.test(value);
}

export function assertTenantId(value: unknown): asserts value is string {
  if (!isTenantId(value)) {
    throw errors.badInput(
      'A tenant id is 3–32 characters: lowercase letters, digits and single hyphens, starting with a letter.',
      { field: 'id' },
    );
  }
}

export function tenantSchemaName(tenantId: string): string {
  assertTenantId(tenantId);
  return `tenant_${tenantId.replace(/-/g, '_')}`;
}

export function tenantBucketName(bucketPrefix: string, tenantId: string): string {
  assertTenantId(tenantId);
  return `${bucketPrefix}-${tenantId}`;
}

/** MySQL identifier quoting for names we built ourselves (never for user input). */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`refusing to quote unexpected identifier ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { errors, isDependencyUnavailable, TesseraError } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';

/**
 * Sealed columns: a sensitive value stored in a tenant table (a job result, a dataset profile, an
 * audit event's details) encrypted with the tenant's data key, so a copy of the database (a backup,
 * a replica, a stolen dump) does not show the tenant's data values.
 *
 * Envelope (text, so it fits VARCHAR/TEXT and, as a JSON string, JSON columns):
 *   `tsc1.<key version>.<base64url(iv 12 ‖ AES-256-GCM ciphertext ‖ tag 16)>`
 * `tsc1` names the format, the key version says which tenant data key opens it (rotation keeps old
 * versions readable until they are retired). The associated data binds the value to its tenant,
 * table, column, row id and key version: a sealed value copied to another row, column or tenant —
 * or relabelled with another version — fails authentication instead of showing up there.
 * Anything not starting with the prefix is a legacy clear value (written before sealing) and is
 * read as it is, until the owner's backfill seals it.
 */
export const sealedPrefix = 'tsc1';

const ivSize = 12;
const tagSize = 16;
const keySize = 32;
const envelopePattern = /^tsc1\.([1-9][0-9]{0,8})\.([A-Za-z0-9_-]+)$/;
// Domain separation from every other use of the tenant data key (objects, family keys, the webhook secret).
const aadLabel = 'tessera-sealed-column/v1';

/** Which cell a sealed value belongs to: the associated data every seal is bound to. */
export interface SealedCell {
  table: string;
  column: string;
  rowId: string;
}

/** A data key and its version, as TenantScope.currentDataKey returns it. */
export interface SealingKey {
  dataKey: Buffer;
  keyVersion: number;
}

/** The tenant keys a sealer needs: the current version for new seals, any version for reads. */
export interface ColumnKeys {
  tenantId: string;
  /**
   * The current version, for a value that `within`'s transaction stores: the tenant's data-key
   * floor is held until that transaction ends, so a retirement of this version counts the value or
   * comes after it is re-taken (TenantScope.sealingKey).
   */
  sealingKey(within: EntityManager): Promise<SealingKey>;
  keyFor(version: number): Promise<Buffer>;
}

/** A stored value that carries the envelope (opaque to everything but `open`). */
export type SealedText = string & { readonly __sealed: unique symbol };

/** What a sealed column holds as read: the envelope, or a legacy clear value of type T. */
export type SealedOr<T> = SealedText | T;

/** The error code readers see when a sealed value does not open (wrong row, tenant or tampered). */
export const sealedValueRejected = 'SEALED_VALUE_REJECTED';

export function isSealedText(value: unknown): value is SealedText {
  return typeof value === 'string' && envelopePattern.test(value);
}

/** The key version a stored value was sealed with; undefined for a legacy clear value. */
export function sealedKeyVersion(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = envelopePattern.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** Seals with a key already in hand (bulk writers such as the audit relay fetch it once per batch). */
export function sealWithKey(plaintext: string, key: SealingKey, tenantId: string, cell: SealedCell): SealedText {
  if (key.dataKey.length !== keySize) throw new Error('a sealing key must be 32 bytes');
  const iv = randomBytes(ivSize);
  const cipher = createCipheriv('aes-256-gcm', key.dataKey, iv);
  cipher.setAAD(associatedData(tenantId, cell, key.keyVersion));
  const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${sealedPrefix}.${key.keyVersion}.${body.toString('base64url')}` as SealedText;
}

/**
 * Opens an envelope. Any failure — malformed, a version the tenant no longer has, another cell's
 * or tenant's value — is the same typed CONFLICT (`reason: SEALED_VALUE_REJECTED`): the row is
 * unusable, which is not the caller's fault to fix, but neither is it a crash (no 500).
 */
export async function openWithKeys(value: SealedText, keys: Pick<ColumnKeys, 'tenantId' | 'keyFor'>, cell: SealedCell): Promise<string> {
  const match = envelopePattern.exec(value);
  const version = match ? Number(match[1]) : 0;
  let key: Buffer;
  try {
    if (!match) throw new Error('not an envelope');
    key = await keys.keyFor(version);
  } catch (cause) {
    // A provider outage is the caller's to retry, not a broken value.
    if (cause instanceof TesseraError || isDependencyUnavailable(cause)) throw cause;
    throw rejected(cell, cause);
  }
  try {
    const body = Buffer.from(match![2]!, 'base64url');
    if (body.length < ivSize + tagSize) throw new Error('envelope too short');
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, ivSize));
    decipher.setAAD(associatedData(keys.tenantId, cell, version));
    decipher.setAuthTag(body.subarray(body.length - tagSize));
    return Buffer.concat([decipher.update(body.subarray(ivSize, body.length - tagSize)), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw rejected(cell, cause);
  }
}

function rejected(cell: SealedCell, cause: unknown): TesseraError {
  const error = errors.conflict(`A sealed ${cell.table}.${cell.column} value did not open: it was not written for this row of this tenant, or it was changed.`, {
    reason: sealedValueRejected,
    table: cell.table,
    column: cell.column,
  });
  (error as Error & { cause?: unknown }).cause = cause;
  return error;
}

function associatedData(tenantId: string, cell: SealedCell, keyVersion: number): Buffer {
  // NUL-separated: none of the parts can contain NUL (identifiers, uuids, sequence numbers), so the encoding is unambiguous.
  for (const part of [tenantId, cell.table, cell.column, cell.rowId]) {
    if (part.length === 0 || part.includes('\0')) throw new Error('a sealed cell needs non-empty tenant, table, column and row id');
  }
  return Buffer.from([aadLabel, tenantId, cell.table, cell.column, cell.rowId, String(keyVersion)].join('\0'), 'utf8');
}

/** The keys of the tenant a scope acts for. */
export function scopeColumnKeys(scope: TenantScope): ColumnKeys {
  return { tenantId: scope.tenant.id, sealingKey: (within) => scope.sealingKey(within), keyFor: (version) => scope.resolveDataKey(version) };
}

/**
 * One tenant's sealer for JSON values: what the owners (jobs, datasets, audit) call on write and
 * read. `sealJson` returns the text to store and its key version (owners keep the version in a
 * column of its own, indexed, so the re-encryption and the retirement check count without
 * reading every value); it is called inside the transaction that stores the value (`within`).
 */
export class ColumnSealer {
  constructor(readonly keys: ColumnKeys) {}

  static forScope(scope: TenantScope): ColumnSealer {
    return new ColumnSealer(scopeColumnKeys(scope));
  }

  async sealJson(value: unknown, cell: SealedCell, within: EntityManager): Promise<{ sealed: SealedText; keyVersion: number }> {
    const key = await this.keys.sealingKey(within);
    return { sealed: sealWithKey(JSON.stringify(value), key, this.keys.tenantId, cell), keyVersion: key.keyVersion };
  }

  /**
   * A stored value back as T: an envelope is opened; a legacy clear value is returned as it is.
   * Accepts what the driver hands back for a JSON column (MariaDB: the JSON text, MySQL 8: the
   * parsed value) and for a text column (the envelope itself).
   */
  async openJson<T>(stored: unknown, cell: SealedCell): Promise<T> {
    const value = typeof stored === 'string' && !isSealedText(stored) ? parseJsonText(stored) : stored;
    if (isSealedText(value)) return JSON.parse(await openWithKeys(value, this.keys, cell)) as T;
    return value as T;
  }
}

/** MariaDB returns JSON columns as text; a JSON string that holds an envelope is `"tsc1.…"`. */
function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The text to store in a JSON column for a sealed value: a JSON string, so the column's JSON check
 * (MariaDB) and type (MySQL 8) hold without a schema change.
 */
export function sealedJsonColumnValue(sealed: SealedText): string {
  return JSON.stringify(sealed);
}

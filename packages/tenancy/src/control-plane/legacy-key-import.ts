import type { DataSource } from 'typeorm';
import { unwrapDataKey } from '@tessera/crypto';
import { wrappedKeyVersion, type KeyProvider } from '@tessera/key-provider';
import { quoteIdentifier } from '../tenant-id';
import { dataKeyContext } from './tenant-keyring';

export interface LegacyImportReport {
  /** Rows now wrapped by the key provider. */
  imported: number;
  /** Rows this master key does not open (another installation's, or corrupt): left as they are. */
  notOpened: number;
}

/**
 * One-time move off the platform master key: every tenant data key still wrapped by it is
 * unwrapped here and wrapped by the key provider instead, bound to the same (tenant, version).
 * The data keys themselves do not change, so no object is re-encrypted. Idempotent and safe to
 * interrupt: a row is replaced only if it still holds the value that was read.
 */
export async function importLegacyWrappedKeys(db: DataSource, controlSchema: string, masterKey: Buffer, provider: KeyProvider): Promise<LegacyImportReport> {
  const table = `${quoteIdentifier(controlSchema)}.tenant_keys`;
  const rows = (await db.query(`SELECT tenant_id, version, wrapped_key FROM ${table} WHERE wrapped_key NOT LIKE 'vault:v%' ORDER BY tenant_id, version`)) as Array<{ tenant_id: string; version: number; wrapped_key: string }>;
  const report: LegacyImportReport = { imported: 0, notOpened: 0 };
  for (const row of rows) {
    const version = Number(row.version);
    let dataKey: Buffer;
    try {
      dataKey = unwrapDataKey(masterKey, row.wrapped_key, { tenantId: row.tenant_id, keyVersion: version });
    } catch {
      report.notOpened += 1;
      continue;
    }
    try {
      const wrapped = await provider.wrap(dataKey, dataKeyContext(row.tenant_id, version));
      await db.query(`UPDATE ${table} SET wrapped_key = ?, kek_version = ? WHERE tenant_id = ? AND version = ? AND wrapped_key = ?`, [wrapped, wrappedKeyVersion(wrapped) ?? null, row.tenant_id, version, row.wrapped_key]);
      report.imported += 1;
    } finally {
      dataKey.fill(0);
    }
  }
  return report;
}

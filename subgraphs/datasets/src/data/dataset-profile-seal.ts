import type { ColumnProfile, CsvProfile } from '@tessera/tabular';
import { ColumnSealer, type SealedColumnSpec, type SealedOr, type SealedText } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import type { EntityManager } from 'typeorm';

/** A version's column profile and an upload's profile: sealed with the tenant's data key, bound to their rows. */
export const versionColumnsColumn: SealedColumnSpec = { table: 'dataset_versions', idColumn: 'id', column: 'columns_json', versionColumn: 'columns_key_version', storage: 'json' };
export const uploadProfileColumn: SealedColumnSpec = { table: 'dataset_uploads', idColumn: 'id', column: 'profile_json', versionColumn: 'profile_key_version', storage: 'json' };
export const datasetSealedColumns = [versionColumnsColumn, uploadProfileColumn] as const;

const cell = (spec: SealedColumnSpec, rowId: string) => ({ table: spec.table, column: spec.column, rowId });

/**
 * For an entity write in `within`'s transaction (which holds the tenant's data-key floor until it
 * commits): TypeORM stores the envelope as a JSON string in the JSON column.
 */
export async function sealVersionColumns(scope: TenantScope, within: EntityManager, versionId: string, columns: ColumnProfile[]): Promise<{ columns: SealedText; columnsKeyVersion: number }> {
  const { sealed, keyVersion } = await ColumnSealer.forScope(scope).sealJson(columns, cell(versionColumnsColumn, versionId), within);
  return { columns: sealed, columnsKeyVersion: keyVersion };
}

export function openVersionColumns(scope: TenantScope, versionId: string, stored: SealedOr<ColumnProfile[]>): Promise<ColumnProfile[]> {
  return ColumnSealer.forScope(scope).openJson<ColumnProfile[]>(stored, cell(versionColumnsColumn, versionId));
}

export async function sealUploadProfile(scope: TenantScope, within: EntityManager, uploadId: string, profile: CsvProfile): Promise<{ profile: SealedText; profileKeyVersion: number }> {
  const { sealed, keyVersion } = await ColumnSealer.forScope(scope).sealJson(profile, cell(uploadProfileColumn, uploadId), within);
  return { profile: sealed, profileKeyVersion: keyVersion };
}

export function openUploadProfile(scope: TenantScope, uploadId: string, stored: SealedOr<CsvProfile>): Promise<CsvProfile> {
  return ColumnSealer.forScope(scope).openJson<CsvProfile>(stored, cell(uploadProfileColumn, uploadId));
}

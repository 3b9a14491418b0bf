import type { CsvLimits, CsvParsePool } from '@tessera/tabular';
import type { UploadSpool } from './upload-spool';

export interface DatasetsConfig {
  /** CSV validation limits; a tenant's own maxUploadBytes caps `maxBytes` further. */
  csv: Omit<CsvLimits, 'maxBytes'>;
  uploadTtlSeconds: number;
  maxPreviewRows: number;
}

/** What the services get: the settings, the process's CSV parsing threads and its upload spool (shared by every tenant). */
export interface DatasetsServiceConfig extends DatasetsConfig {
  parsing: CsvParsePool;
  uploadSpool: UploadSpool;
}

import type { CsvLimits, CsvParsePool } from '@tessera/tabular';

export interface DatasetsConfig {
  /** CSV validation limits; a tenant's own maxUploadBytes caps `maxBytes` further. */
  csv: Omit<CsvLimits, 'maxBytes'>;
  uploadTtlSeconds: number;
  maxPreviewRows: number;
}

/** What the services get: the settings, and the process's CSV parsing threads (shared by every tenant). */
export interface DatasetsServiceConfig extends DatasetsConfig {
  parsing: CsvParsePool;
}

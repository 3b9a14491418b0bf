import type { CsvLimits } from '@tessera/tabular';

export interface DatasetsConfig {
  /** CSV validation limits; a tenant's own maxUploadBytes caps `maxBytes` further. */
  csv: Omit<CsvLimits, 'maxBytes'>;
  uploadTtlSeconds: number;
  maxPreviewRows: number;
}

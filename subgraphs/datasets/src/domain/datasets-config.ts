import type { CsvLimits, CsvParsePool } from '@tessera/tabular';
import type { ProfileResultsClearing } from './profile-results';
import type { UploadSpool } from './upload-spool';

export interface DatasetsConfig {
  /** CSV validation limits; a tenant's own maxUploadBytes caps `maxBytes` further. */
  csv: Omit<CsvLimits, 'maxBytes'>;
  uploadTtlSeconds: number;
  maxPreviewRows: number;
  /**
   * A preview's rows hold at most this many bytes of values (UTF-8 with JSON's escapes, as the answer carries them, all rows together); the rows
   * past it are left out. A value may be 1 MiB and a row 1 000 of them, so `maxPreviewRows` alone
   * let one preview answer most of a 100 MiB version, in the process every tenant shares.
   */
  maxPreviewBytes: number;
  /**
   * A preview reads at most this many bytes of the version once its header is in, and answers the
   * rows complete by then: rows that fit `maxPreviewBytes` take about as many bytes of the file, and
   * a first row too large to answer was parsed to its end for every preview (a first row of 16 MB
   * held a parsing thread 2–30 s for an answer of no rows, at the cost of any preview).
   */
  maxPreviewReadBytes: number;
  /**
   * The stored column profiles (`DatasetVersion.columns`: up to 1 000 columns, about 0.5 MB each)
   * one request may open, in stored bytes: each is decrypted and decoded on this process, which
   * every tenant shares, and the cost model counts a profile as a list of 10.
   */
  maxProfileBytesPerRequest: number;
}

/**
 * What the services get: the settings, the process's CSV parsing threads and its upload spool
 * (shared by every tenant), and the clearing of deleted versions' profile results (the jobs port).
 */
export interface DatasetsServiceConfig extends DatasetsConfig {
  parsing: CsvParsePool;
  uploadSpool: UploadSpool;
  profileResults: ProfileResultsClearing;
}

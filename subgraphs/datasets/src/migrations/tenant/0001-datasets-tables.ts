import type { QueryRunner } from 'typeorm';
import { SingleSequenceBaseline } from '@tessera/tenancy';

/**
 * Tenant plane: datasets, their versions and their staged uploads. Each tenant has its own copy,
 * so no row carries a tenant id: isolation is the schema itself.
 *
 * `dataset_versions.source_job_id`: a version written by a job (batch-inference predictions)
 * records the job, uniquely, so a re-run after a crash cannot register a second version.
 */
export class DatasetsTables1765000000001 extends SingleSequenceBaseline {
  name = 'DatasetsTables1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE datasets (
        id CHAR(36) NOT NULL PRIMARY KEY,
        name VARCHAR(128) NOT NULL,
        description VARCHAR(1000) NULL,
        status VARCHAR(16) NOT NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_datasets_name (name),
        KEY ix_datasets_page (created_at, id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE dataset_versions (
        id CHAR(36) NOT NULL PRIMARY KEY,
        dataset_id CHAR(36) NOT NULL,
        number INT NOT NULL,
        object_key VARCHAR(255) NOT NULL,
        byte_size BIGINT NOT NULL,
        stored_size BIGINT NOT NULL,
        sha256 CHAR(64) NOT NULL,
        key_version INT NOT NULL,
        row_count BIGINT NOT NULL,
        columns_json JSON NOT NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        source_job_id CHAR(36) NULL,
        UNIQUE KEY uq_dataset_versions_number (dataset_id, number),
        UNIQUE KEY uq_dataset_versions_source_job (source_job_id),
        CONSTRAINT fk_dataset_versions_dataset FOREIGN KEY (dataset_id) REFERENCES datasets(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE dataset_uploads (
        id CHAR(36) NOT NULL PRIMARY KEY,
        dataset_id CHAR(36) NOT NULL,
        filename VARCHAR(255) NOT NULL,
        content_type VARCHAR(100) NOT NULL,
        declared_size BIGINT NOT NULL,
        status VARCHAR(16) NOT NULL,
        object_key VARCHAR(255) NOT NULL,
        stored_size BIGINT NULL,
        sha256 CHAR(64) NULL,
        key_version INT NULL,
        profile_json JSON NULL,
        failure_code VARCHAR(64) NULL,
        version_id CHAR(36) NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        expires_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY ix_dataset_uploads_dataset (dataset_id),
        CONSTRAINT fk_dataset_uploads_dataset FOREIGN KEY (dataset_id) REFERENCES datasets(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['dataset_uploads', 'dataset_versions', 'datasets']) await q.query(`DROP TABLE ${table}`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tables of one tenant's schema. Each tenant has its own copy, so no row here carries a
 * tenant id: isolation is the schema itself.
 */
export class TenantPlane1764000000001 implements MigrationInterface {
  name = 'TenantPlane1764000000001';

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
        UNIQUE KEY uq_dataset_versions_number (dataset_id, number),
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
    await q.query(`
      CREATE TABLE models (
        id CHAR(36) NOT NULL PRIMARY KEY,
        name VARCHAR(128) NOT NULL,
        description VARCHAR(1000) NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_models_name (name),
        KEY ix_models_page (created_at, id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE jobs (
        id CHAR(36) NOT NULL PRIMARY KEY,
        kind VARCHAR(32) NOT NULL,
        status VARCHAR(16) NOT NULL,
        input_json JSON NOT NULL,
        progress INT NOT NULL DEFAULT 0,
        phase VARCHAR(64) NULL,
        result_json JSON NULL,
        error_json JSON NULL,
        attempts INT NOT NULL DEFAULT 0,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY ix_jobs_page (created_at, id),
        KEY ix_jobs_status (status)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE audit_events (
        seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        id CHAR(36) NOT NULL,
        occurred_at DATETIME(3) NOT NULL,
        actor_subject VARCHAR(255) NOT NULL,
        actor_roles VARCHAR(255) NOT NULL,
        actor_client VARCHAR(255) NULL,
        action VARCHAR(64) NOT NULL,
        target_type VARCHAR(64) NOT NULL,
        target_id VARCHAR(255) NULL,
        outcome VARCHAR(16) NOT NULL,
        request_id VARCHAR(64) NULL,
        trace_id VARCHAR(32) NULL,
        source_ip VARCHAR(64) NULL,
        details_json JSON NOT NULL,
        UNIQUE KEY uq_audit_events_id (id),
        KEY ix_audit_events_time (occurred_at),
        KEY ix_audit_events_action (action, occurred_at)
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_events', 'jobs', 'models', 'dataset_uploads', 'dataset_versions', 'datasets']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}

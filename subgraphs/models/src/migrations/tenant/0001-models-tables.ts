import type { QueryRunner } from 'typeorm';
import { SingleSequenceBaseline } from '@tessera/tenancy';

/**
 * Tenant plane: the model registry (models, versions, aliases, staged uploads) and the per-minute
 * inference stats the serving process writes.
 *
 * `models.last_version_number` is a counter rather than MAX(number): a deleted latest version
 * must never have its number reused, or "version 3" would name two different files over time.
 */
export class ModelsTables1765000000001 extends SingleSequenceBaseline {
  name = 'ModelsTables1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE models (
        id CHAR(36) NOT NULL PRIMARY KEY,
        name VARCHAR(128) NOT NULL,
        description VARCHAR(1000) NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        status VARCHAR(16) NOT NULL DEFAULT 'ACTIVE',
        last_version_number INT NOT NULL DEFAULT 0,
        serving_batching TINYINT(1) NOT NULL DEFAULT 1,
        serving_max_batch_size INT NOT NULL DEFAULT 32,
        serving_max_delay_ms INT NOT NULL DEFAULT 2,
        serving_timeout_ms INT NOT NULL DEFAULT 10000,
        UNIQUE KEY uq_models_name (name),
        KEY ix_models_page (created_at, id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE model_versions (
        id CHAR(36) NOT NULL PRIMARY KEY,
        model_id CHAR(36) NOT NULL,
        number INT NOT NULL,
        object_key VARCHAR(255) NOT NULL,
        byte_size BIGINT NOT NULL,
        stored_size BIGINT NOT NULL,
        sha256 CHAR(64) NOT NULL,
        key_version INT NOT NULL,
        ir_version INT NOT NULL,
        opsets_json JSON NOT NULL,
        producer VARCHAR(255) NULL,
        inputs_json JSON NOT NULL,
        outputs_json JSON NOT NULL,
        dataset_version_id CHAR(36) NULL,
        job_id CHAR(36) NULL,
        idempotency_key VARCHAR(128) NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_model_versions_number (model_id, number),
        UNIQUE KEY uq_model_versions_idempotency (model_id, idempotency_key),
        KEY ix_model_versions_page (model_id, created_at, id),
        CONSTRAINT fk_model_versions_model FOREIGN KEY (model_id) REFERENCES models(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
    // ON DELETE RESTRICT on version_id: a version an alias points at cannot disappear under it,
    // even if a code path forgot to check (the service checks first to answer CONFLICT).
    await q.query(`
      CREATE TABLE model_aliases (
        model_id CHAR(36) NOT NULL,
        alias VARCHAR(64) NOT NULL,
        version_id CHAR(36) NOT NULL,
        updated_by VARCHAR(255) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        PRIMARY KEY (model_id, alias),
        KEY ix_model_aliases_version (version_id),
        CONSTRAINT fk_model_aliases_model FOREIGN KEY (model_id) REFERENCES models(id) ON DELETE CASCADE,
        CONSTRAINT fk_model_aliases_version FOREIGN KEY (version_id) REFERENCES model_versions(id) ON DELETE RESTRICT
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE model_uploads (
        id CHAR(36) NOT NULL PRIMARY KEY,
        model_id CHAR(36) NOT NULL,
        filename VARCHAR(255) NOT NULL,
        declared_size BIGINT NOT NULL,
        status VARCHAR(16) NOT NULL,
        object_key VARCHAR(255) NOT NULL,
        stored_size BIGINT NULL,
        sha256 CHAR(64) NULL,
        key_version INT NULL,
        info_json JSON NULL,
        failure_code VARCHAR(64) NULL,
        version_id CHAR(36) NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        expires_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY ix_model_uploads_model (model_id),
        CONSTRAINT fk_model_uploads_model FOREIGN KEY (model_id) REFERENCES models(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
    // One row per model version per minute, upserted by the serving process. No foreign key:
    // stats outlive a deleted version (usage history), and the hot path must not lock versions.
    await q.query(`
      CREATE TABLE inference_stats (
        model_version_id CHAR(36) NOT NULL,
        model_id CHAR(36) NOT NULL,
        minute DATETIME NOT NULL,
        calls INT NOT NULL DEFAULT 0,
        row_count BIGINT NOT NULL DEFAULT 0,
        errors INT NOT NULL DEFAULT 0,
        batch_size_sum BIGINT NOT NULL DEFAULT 0,
        batch_size_max INT NOT NULL DEFAULT 0,
        latency_ms_sum DOUBLE NOT NULL DEFAULT 0,
        latency_ms_max DOUBLE NOT NULL DEFAULT 0,
        latency_le_5ms INT NOT NULL DEFAULT 0,
        latency_le_25ms INT NOT NULL DEFAULT 0,
        latency_le_100ms INT NOT NULL DEFAULT 0,
        latency_le_500ms INT NOT NULL DEFAULT 0,
        PRIMARY KEY (model_version_id, minute),
        KEY ix_inference_stats_model (model_id, minute)
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['inference_stats', 'model_uploads', 'model_aliases', 'model_versions', 'models']) await q.query(`DROP TABLE ${table}`);
  }
}

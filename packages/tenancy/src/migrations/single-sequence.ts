import type { DataSource } from 'typeorm';
import type { MigratorConfig } from '@tessera/config';
import type { Plane, ServiceData } from '../ownership/table-ownership';
import { quoteIdentifier } from '../tenant-id';
import { migrateServiceSchema, migrationNames, recordedMigrations } from './run-service-migrations';
import { isSingleSequenceBaseline } from './service-migrations';

/**
 * Earlier releases migrated every schema with one sequence shared by all services, recorded in
 * one history table. Each service now has its own migrations and history; its first migration (a
 * `SingleSequenceBaseline`) creates its tables exactly as that sequence's last migration left them.
 *
 * A schema that sequence migrated to its end is adopted: each service's baselines are recorded as
 * applied in its own history; the tables and their rows are not touched. The shared history is
 * kept as it is and never written again: the previous release's `tessera migrate` (a rollback, or
 * another checkout sharing a development database) still finds all its migrations applied and
 * changes nothing, where without it that release would try to create every table again. A schema
 * the sequence left part-way (or with a migration this release does not know) is refused with the
 * names that are missing: finish it with the previous release's `tessera migrate` first (that
 * release's migrate always ran the whole sequence, so a deployment that ran it is complete).
 * Adoption is idempotent and cheap to repeat: a schema whose services have recorded their
 * baselines costs one read of the histories.
 */
export const singleSequenceHistoryTable = 'schema_migrations';

/** Every migration of the single sequence, per plane, as recorded in its history (names only: the classes are gone). */
export const singleSequenceMigrations: Record<Plane, readonly string[]> = {
  control: ['ControlPlane1764000000001', 'JobLimits1764000000002', 'SecurityLog1764000000003', 'ResourceOwners1764000000004', 'LimitOverrides1764000000005'],
  tenant: [
    'TenantPlane1764000000001',
    'ModelRegistry1764000000002',
    'JobPipelines1764000000003',
    'AuditChain1764000000004',
    'AuditAlerting1764000000005',
    'TenantMetrics1764000000006',
    'AuditPageIndexes1764000000007',
    'QuotaUsage1764000000008',
    'UsageMeters1764000000009',
    'WebhookOutcomes1764000000010',
    'JobPrincipals1764000000011',
  ],
};

/** Adopts `schema` if the single sequence migrated it; true when that sequence did. `services` in migration order. */
export async function adoptSingleSequenceHistory(
  server: DataSource,
  config: Pick<MigratorConfig, 'adminUrl' | 'tlsCa'>,
  schema: string,
  plane: Plane,
  services: readonly ServiceData[],
): Promise<boolean> {
  const found = (await server.query("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'", [
    schema,
    singleSequenceHistoryTable,
  ])) as unknown[];
  if (found.length === 0) return false;
  const history = `${quoteIdentifier(schema)}.${quoteIdentifier(singleSequenceHistoryTable)}`;
  const applied = ((await server.query(`SELECT name FROM ${history} ORDER BY id`)) as Array<{ name: string }>).map((row) => row.name);
  const expected = singleSequenceMigrations[plane];
  const missing = expected.filter((name) => !applied.includes(name));
  const unknown = applied.filter((name) => !expected.includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `${schema} was migrated by the single migration sequence of earlier releases, but not to its end ` +
        `(missing: ${missing.join(', ') || 'none'}; unknown: ${unknown.join(', ') || 'none'}): ` +
        'run `tessera migrate` of the last release with that sequence first, then this one',
    );
  }
  const recorded = await recordedMigrations(server, schema, services);
  for (const service of services) {
    const migrations = service.migrations[plane];
    const baselines = migrations.filter(isSingleSequenceBaseline);
    if (!baselines.every((baseline, index) => migrations[index] === baseline)) {
      throw new Error(`${service.service}: its single-sequence baselines must come first in its ${plane} migrations`);
    }
    const unrecorded = baselines.filter((baseline) => !recorded.has(`${service.service}:${migrationNames([baseline])[0]}`));
    await migrateServiceSchema(config, schema, service.service, unrecorded, { fake: true });
  }
  return true;
}

export * from './tenant-id';
export * from './tenant-record';
export * from './tenant-limits';
export { parseDatabaseUrl, openServiceDataSource, type ServiceDataSourceOptions, openMigrationDataSource, databaseTlsOptions, databaseUrlOnServer, regionsByServer, servedRegionsTable } from './database';
export { regionDatabase, tenantDatabase, tenantsByDatabase, controlPlaneDatabase, controlPlaneQueryable, tenantQueryable, tenantQueryTarget, regionServerPools } from './tenant-databases';
export { TenantStore } from './control-plane/tenant-store';
export { TenantDirectory } from './control-plane/tenant-directory';
export { tenantChangedChannel, oneTenantChangedChannel, parseTenantChanged, type TenantChanged } from './control-plane/tenant-changes';
export { TenantKeyring, LegacyWrappedKeyError, dataKeyContext, tenantKeyName, type DestroyedKey, type CurrentDataKey, type KeyEvent } from './control-plane/tenant-keyring';
export { importLegacyWrappedKeys, type LegacyImportReport } from './control-plane/legacy-key-import';
export { SchemaManager } from './provisioning/schema-manager';
export { migrateDeployment, dropControlPlane, type MigrationReport } from './provisioning/migrate-deployment';
export { accountGrants, serviceAccountUser, type AccountGrant } from './provisioning/service-grants';
export {
  accountRoutinesSchema,
  closeDedicatedWorkerAccount,
  dedicatedWorkerAccountsTable,
  dedicatedWorkerAccountUser,
  dedicatedWorkerDatabaseUrl,
  dedicatedWorkerDirectoryView,
  openDedicatedWorkerAccount,
  withMigrator,
  type DedicatedAccountMigrator,
  type DedicatedWorkerAccount,
} from './provisioning/dedicated-worker-accounts';
export { controlLedgerTable, templateSchemaName, tenantSchemaNamePattern } from './provisioning/tenant-schema-procedures';
export * from './ownership/table-ownership';
export { TenantProvisioner, type ProvisionTenantInput, type ProvisionerDeps } from './provisioning/tenant-provisioner';
export { TenantScope, TenantScopeFactory, type TenantScopeDeps } from './tenant-scope';
export { dataKeyFloorTable, sealingKeyWithin, raiseDataKeyFloor, dataKeyFloor } from './data-key-floor';
export {
  migrationHistoryTable,
  isMigrationHistoryTable,
  migrationOrder,
  noMigrations,
  SingleSequenceBaseline,
  type MigrationClass,
  type ServiceMigrations,
} from './migrations/service-migrations';
export { migrateServiceSchema, migrationNames } from './migrations/run-service-migrations';
export { singleSequenceHistoryTable, singleSequenceMigrations } from './migrations/single-sequence';
export { createTenantAccess, type TenantAccess, type TenantAccessOptions } from './tenant-access';
export { advisoryLockName, withAdvisoryLock, withAdvisoryLockIfFree, type AdvisoryLockOptions } from './advisory-lock';
export { apartFromLockHolder, lockHoldersAtOnce, lockHoldersPerTenant } from './lock-holder-turns';
export { probeTenantRows, type TenantRowQuestion, type TenantRowProbeResult } from './tenant-row-probe';
export {
  SeriesRetention,
  longestReadableRangeDays,
  retentionVariables,
  seriesRetentionConfig,
  seriesRetentionConfigSchema,
  toRetentionOptions,
  type RetainedTable,
  type RetentionPassResult,
  type SeriesRetentionConfig,
} from './series-retention';
export { localServiceDatabaseUrls, localAccountHosts } from './ownership/local-accounts';

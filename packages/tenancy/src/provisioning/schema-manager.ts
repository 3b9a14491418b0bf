import type { DataSource } from 'typeorm';
import type { DatabaseConfig } from '@tessera/config';
import { regionDatabase } from '../tenant-databases';
import { quoteIdentifier, tenantSchemaName } from '../tenant-id';
import type { TenantTier } from '../tenant-record';

/**
 * Creates and drops tenant schemas as the tenants service's own account, through the stored
 * procedures the migrate step creates (tenant-schema-procedures.ts). The account holds EXECUTE on
 * those procedures and no DDL, GRANT OPTION or right on any tenant's rows: it can make a tenant
 * schema as a copy of the migrated template (with every service's table rights) and drop one
 * whole, and nothing else. Migrating existing schemas is the migrate step's job, not this one's.
 * Each call runs on the server of the tenant's region (REGION_DATABASES), whose routines the migrate
 * step created there too: a tenant's schema is made and dropped only where its rows live.
 */
export class SchemaManager {
  private readonly control: string;

  constructor(
    private readonly db: DataSource,
    config: Pick<DatabaseConfig, 'controlSchema'>,
  ) {
    this.control = quoteIdentifier(config.controlSchema);
  }

  /** `region` undefined: the home server. */
  async schemaExists(schema: string, region?: string): Promise<boolean> {
    const [row] = (await this.on(region).query(`SELECT ${this.control}.tenant_schema_exists(?) AS found`, [schema])) as Array<{ found: number }>;
    return Number(row?.found) === 1;
  }

  /**
   * `tier`: the tenant's, as written in the control plane (the routines check it there, and a
   * region server, which has no tenants table, takes it from here): the shared pool's account gets
   * its table rights on a shared-tier tenant's schema only.
   */
  async createTenantSchema(tenantId: string, region: string, tier: TenantTier): Promise<void> {
    await this.on(region).query(`CALL ${this.control}.provision_tenant_schema(?, ?)`, [tenantSchemaName(tenantId), tier]);
  }

  /** Gives every account its rights on the tenant's schema again, the shared pool's following `tier` (after a tier change). */
  async grantTenantTables(tenantId: string, region: string, tier: TenantTier): Promise<void> {
    await this.on(region).query(`CALL ${this.control}.grant_tenant_tables(?, ?)`, [tenantSchemaName(tenantId), tier]);
  }

  /**
   * `region` undefined: the home server (a tenant whose row is gone has no region to look up). A
   * tenant whose schema is on its region's server is also dropped on the home server, where there is
   * no schema of it but its dedicated workers' account (the directory view's) is in that server's
   * ledger: the routine forgets and drops it there too, so a later tenant of the same id is not its.
   */
  async dropTenantSchema(tenantId: string, region?: string): Promise<void> {
    const server = this.on(region);
    await server.query(`CALL ${this.control}.drop_tenant_schema(?)`, [tenantSchemaName(tenantId)]);
    if (server !== this.db) await this.db.query(`CALL ${this.control}.drop_tenant_schema(?)`, [tenantSchemaName(tenantId)]);
  }

  private on(region: string | undefined): DataSource {
    return region === undefined ? this.db : regionDatabase(this.db, region);
  }
}

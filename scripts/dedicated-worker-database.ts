/**
 * The database account of a dedicated-tier tenant's workers (README "Dedicated-tier workers"), for operators:
 *
 *   npx tsx scripts/dedicated-worker-database.ts open TENANT   creates (or re-passwords) tessera_workers_<tenant>,
 *                                                             grants it its tenant's rows, prints its DATABASE_URL
 *   npx tsx scripts/dedicated-worker-database.ts drop TENANT   forgets and drops it
 *
 * As the migrator, like `tessera migrate`: DATABASE_ADMIN_URL, CONTROL_SCHEMA, DATABASE_ACCOUNT_HOSTS,
 * DATABASE_TLS_CA_FILE, REGION_DATABASES (a tenant of a region with its own server gets the account
 * there too, for its schema; `drop` drops it on every server). The password is DEDICATED_WORKER_DATABASE_PASSWORD (at least 16 characters),
 * random when unset. The printed URL names the server as DATABASE_ADMIN_URL does. The tenant must
 * exist (provision it first); the server needs root's account routines (deploy/mysql/account-routines.sql).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { migratorVariables, parseEnvironment, toMigratorConfig } from '@tessera/config';
import { closeDedicatedWorkerAccount, dedicatedWorkerDatabaseUrl, isTenantId, openDedicatedWorkerAccount } from '@tessera/tenancy';

const variables = migratorVariables.extend({ DEDICATED_WORKER_DATABASE_PASSWORD: z.string().min(16).max(255).optional() });

async function main([command, tenantId]: string[]): Promise<void> {
  if ((command !== 'open' && command !== 'drop') || !isTenantId(tenantId)) {
    process.stderr.write('usage: npx tsx scripts/dedicated-worker-database.ts open|drop TENANT\n');
    process.exitCode = 2;
    return;
  }
  const env = parseEnvironment(variables, process.env);
  const config = toMigratorConfig(env);
  if (command === 'drop') {
    await closeDedicatedWorkerAccount(config, tenantId);
    process.stderr.write(`dropped the database account of ${tenantId}'s workers on every server\n`);
    return;
  }
  const password = env.DEDICATED_WORKER_DATABASE_PASSWORD ?? randomBytes(24).toString('hex');
  const { user, regionServer } = await openDedicatedWorkerAccount(config, tenantId, password);
  const where = regionServer === undefined ? '' : ` (and on ${regionServer}, its region's server: give the workers the same REGION_DATABASES)`;
  process.stderr.write(`${user} at ${config.accountHosts.join(', ')}${where}: ${tenantId}'s rows only; start its workers with\n`);
  process.stdout.write(`DATABASE_URL=${dedicatedWorkerDatabaseUrl(config.adminUrl, tenantId, password)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

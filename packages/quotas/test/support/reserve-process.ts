/**
 * One writer process for the cross-process quota test: its own connection pool, its own
 * TenantQuotas. Prints `ready` once connected, waits for `go` on stdin (so every process starts
 * reserving together), makes RESERVE_ATTEMPTS reservations of RESERVE_AMOUNT bytes (up to 4 in
 * flight), and prints one JSON line: what was granted and refused, and any other error.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isTesseraError } from '@tessera/errors';
import { TenantQuotas, type QuotaScope } from '@tessera/quotas';
import { defaultTenantLimits, openServiceDataSource } from '@tessera/tenancy';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const db = await openServiceDataSource({ url: required('DATABASE_URL'), controlSchema: required('CONTROL_SCHEMA'), poolSize: 4, tlsCa: readFileSync(required('DATABASE_TLS_CA_FILE'), 'utf8') }, []);
  const scope: QuotaScope = {
    tenant: { id: required('TENANT_ID'), limits: { ...defaultTenantLimits, maxStorageBytes: Number(required('STORAGE_LIMIT')) } },
    transaction: (fn) => db.transaction(fn),
  };
  const quotas = new TenantQuotas(scope);
  const attempts = Number(required('RESERVE_ATTEMPTS'));
  const amount = Number(required('RESERVE_AMOUNT'));
  process.stdout.write('ready\n');
  const go = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => go.once('line', () => resolve()));
  go.close();

  const granted: string[] = [];
  const refusals: Array<Record<string, unknown>> = [];
  const failures: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < attempts) {
      next += 1;
      try {
        granted.push((await quotas.reserve('storageBytes', amount)).id);
      } catch (error) {
        if (isTesseraError(error) && error.code === 'QUOTA_EXCEEDED') refusals.push({ ...error.extensions });
        else failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  process.stdout.write(`${JSON.stringify({ granted, refusals, failures })}\n`);
  await db.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

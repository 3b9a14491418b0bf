/**
 * A child process that does what a service does in a mutation — insert a row and record its
 * audit event in the same transaction — and then hangs, so the test can kill it with SIGKILL at a
 * chosen point: after the commit (MODE=commit) or before it (MODE=hold). Prints one line:
 * `<connection id> <dataset id>` once it reached that point.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { recordAuditEvent } from '@tessera/audit-client';
import { openServiceDataSource, quoteIdentifier } from '@tessera/tenancy';

async function main(): Promise<void> {
  const schema = process.env['TENANT_SCHEMA']!;
  const db = await openServiceDataSource(
    { url: process.env['DATABASE_URL']!, controlSchema: process.env['CONTROL_SCHEMA']!, poolSize: 1, tlsCa: readFileSync(process.env['DATABASE_TLS_CA_FILE']!, 'utf8') },
    [],
  );
  const runner = db.createQueryRunner();
  await runner.connect();
  const [connection] = (await runner.query('SELECT CONNECTION_ID() AS id')) as Array<{ id: number }>;
  const connectionId = connection!.id;
  await runner.query(`USE ${quoteIdentifier(schema)}`);
  await runner.startTransaction();
  const datasetId = randomUUID();
  await runner.query(`INSERT INTO datasets (id, name, status, created_by, created_at, updated_at) VALUES (?, ?, 'ACTIVE', 'crash-test', NOW(3), NOW(3))`, [
    datasetId,
    `crash-${datasetId.slice(0, 8)}`,
  ]);
  await recordAuditEvent(runner.manager, { kind: 'user', tenantId: process.env['TENANT_ID']!, subject: 'crash-test', roles: ['admin'], requestId: `req-${datasetId}`, clientId: undefined, sourceIp: undefined }, {
    action: 'dataset.create',
    targetType: 'Dataset',
    targetId: datasetId,
  });
  if (process.env['MODE'] === 'commit') await runner.commitTransaction();
  process.stdout.write(`${connectionId} ${datasetId}\n`);
  setInterval(() => undefined, 60_000); // wait to be killed
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

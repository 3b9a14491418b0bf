import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { recordAuditEvent } from '@tessera/audit-client';
import { databaseOf, subgraphModule, subgraphTls, withAbsentPorts } from '@tessera/platform';
import { startSubgraph, type RunningSubgraph } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { eventsTable, verify } from './chain-support';

/**
 * The outbox: an audit event commits with the change it describes, in the tenant's schema, and
 * reaches the hash chain later — whether or not the audit service is up at that moment, and
 * whatever crashes in between.
 */
describe('audit outbox: nothing lost, nothing invented', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let admin: string;
  let restarted: RunningSubgraph | undefined;

  const count = async (sql: string, params: unknown[] = []) => Number(((await stack.adminQuery(sql, params)) as Array<{ n: number | string }>)[0]!.n);
  const inOutbox = (targetId: string) => count(`SELECT COUNT(*) AS n FROM \`${tenant.schema}\`.audit_outbox WHERE target_id = ?`, [targetId]);
  const inChain = (targetId: string) => count(`SELECT COUNT(*) AS n FROM ${eventsTable(tenant)} WHERE target_id = ?`, [targetId]);
  const datasetRows = (id: string) => count(`SELECT COUNT(*) AS n FROM \`${tenant.schema}\`.datasets WHERE id = ?`, [id]);

  /** Waits for a condition that something else (the relay, the server) makes true; fails after a generous deadline. */
  async function eventually(what: string, condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Runs the writer child until it reports, then SIGKILLs it (no clean shutdown, no rollback by the client). */
  async function crashWriter(mode: 'commit' | 'hold'): Promise<{ connectionId: number; datasetId: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'support', 'outbox-writer.ts')], {
      env: {
        ...process.env,
        DATABASE_URL: databaseOf(stack.config, 'datasets').url, // a service that writes datasets and their audit events
        CONTROL_SCHEMA: stack.config.database.controlSchema,
        DATABASE_TLS_CA_FILE: stack.pki.caFile,
        TENANT_SCHEMA: tenant.schema,
        TENANT_ID: tenant.id,
        MODE: mode,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await Promise.race([once(lines, 'line'), exited.then(() => { throw new Error('writer exited early'); })])) as [string];
    child.kill('SIGKILL');
    await exited;
    const [connectionId, datasetId] = line.trim().split(' ');
    return { connectionId: Number(connectionId), datasetId: datasetId! };
  }

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
    admin = await tenant.token('admin');
  });
  afterAll(async () => {
    await restarted?.close();
    await stack?.stop();
  });

  it('a rolled-back change records nothing: no row, no outbox entry, no chain entry', async () => {
    const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', tenantId: tenant.id, subject: 'rollback-test', roles: ['admin'], requestId: 'req-rollback', clientId: undefined, sourceIp: undefined });
    const datasetId = '00000000-0000-4000-8000-0000000000aa';
    await expect(
      scope.transaction(async (manager) => {
        await manager.query(`INSERT INTO datasets (id, name, status, created_by, created_at, updated_at) VALUES (?, 'rolled-back', 'ACTIVE', 'x', NOW(3), NOW(3))`, [datasetId]);
        await recordAuditEvent(manager, scope.principal, { action: 'dataset.create', targetType: 'Dataset', targetId: datasetId });
        throw new Error('the change fails after its audit event was written');
      }),
    ).rejects.toThrow('the change fails');
    await stack.drainAudit(tenant.id);
    expect({ row: await datasetRows(datasetId), outbox: await inOutbox(datasetId), chain: await inChain(datasetId) }).toEqual({ row: 0, outbox: 0, chain: 0 });
  });

  it('a writer killed after its commit loses nothing: the event waits in the outbox and reaches the chain', async () => {
    const { datasetId } = await crashWriter('commit');
    expect(await datasetRows(datasetId)).toBe(1);
    await eventually('the committed event to be chained', async () => (await inChain(datasetId)) === 1);
    expect(await inOutbox(datasetId)).toBe(0);
    expect(await verify(stack, admin)).toMatchObject({ valid: true });
  });

  it('a writer killed before its commit invents nothing: neither the change nor its event exist', async () => {
    const { connectionId, datasetId } = await crashWriter('hold');
    // The server rolls the open transaction back once it sees the connection die.
    await eventually('the killed connection to be gone', async () => (await count('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?', [connectionId])) === 0);
    await stack.drainAudit(tenant.id);
    expect({ row: await datasetRows(datasetId), outbox: await inOutbox(datasetId), chain: await inChain(datasetId) }).toEqual({ row: 0, outbox: 0, chain: 0 });
  });

  it('concurrent relays (drains from many connections at once) chain each event exactly once, without gaps', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `concurrent-${i}`);
    await Promise.all(names.map((name) => stack.query(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name } })));
    await Promise.all(Array.from({ length: 6 }, () => stack.drainAudit(tenant.id)));
    const rows = (await stack.adminQuery(`SELECT seq, id FROM ${eventsTable(tenant)} ORDER BY seq`)) as Array<{ seq: number; id: string }>;
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(await count(`SELECT COUNT(*) AS n FROM \`${tenant.schema}\`.audit_outbox`)).toBe(0);
    expect(await verify(stack, admin)).toMatchObject({ valid: true, headSequence: rows.length });
  });

  it('with the audit service down, changes still commit and their events wait in the outbox; restarted, it chains them', async () => {
    await stack.platform.subgraphs.audit.close(); // stops the relay (and the audit API) in this platform
    const created = expectNoErrors(
      await stack.query<{ createDataset: { id: string } }>(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'while-audit-down' } }),
    ).createDataset.id;
    expect(await datasetRows(created)).toBe(1);
    // Several relay intervals pass: nobody moves it.
    await new Promise((resolve) => setTimeout(resolve, 4 * stack.config.auditChain!.relayIntervalMs));
    expect({ outbox: await inOutbox(created), chain: await inChain(created) }).toEqual({ outbox: 1, chain: 0 });

    restarted = await startSubgraph(
      subgraphModule('audit').build(stack.platform.runtimes.audit, { regions: stack.config.regions, auditChain: stack.config.auditChain!, ports: withAbsentPorts({}) }),
      stack.platform.runtimes.audit,
      0,
      undefined,
      subgraphTls(stack.config.tls, 'audit'),
    );
    await eventually('the restarted relay to chain the waiting event', async () => (await inChain(created)) === 1);
    expect(await inOutbox(created)).toBe(0);
    const [last] = (await stack.adminQuery(`SELECT action, actor_subject FROM ${eventsTable(tenant)} WHERE target_id = ?`, [created])) as Array<{ action: string }>;
    expect(last).toMatchObject({ action: 'dataset.create' });
  });
});

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMigrationDataSource } from '@tessera/tenancy';
import type { DataSource } from 'typeorm';
import { addWriterColumn } from '../src/migrations/writer-column';

/**
 * The migration that records each event's writer, on tables that already hold events (an upgrade):
 * what was there before keeps NULL (not the migrator's name), what is written after gets its
 * writer from the server.
 */
const schema = `ttest_writer_${randomBytes(4).toString('hex')}`;
let admin: DataSource;

beforeAll(async () => {
  admin = await openMigrationDataSource({ adminUrl: process.env['DATABASE_ADMIN_URL'] ?? 'mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306', tlsCa: readFileSync(join(process.env['TESSERA_PKI_DIR'] ?? join(__dirname, '..', '..', '..', '.tessera', 'pki'), 'ca.pem'), 'utf8') }, undefined, []);
  await admin.query(`CREATE DATABASE \`${schema}\``);
  await admin.query(`CREATE TABLE \`${schema}\`.outbox (outbox_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, action VARCHAR(64) NOT NULL) ENGINE=InnoDB`);
  await admin.query(`CREATE TABLE \`${schema}\`.chain (seq BIGINT NOT NULL PRIMARY KEY, action VARCHAR(64) NOT NULL) ENGINE=InnoDB`);
});

afterAll(async () => {
  await admin?.query(`DROP DATABASE IF EXISTS \`${schema}\``);
  await admin?.destroy();
});

it('leaves the events already there without a writer (pending and chained alike) and records the writer of every later one', async () => {
  await admin.query(`INSERT INTO \`${schema}\`.outbox (action) VALUES ('dataset.create'), ('model.create')`);
  await admin.query(`INSERT INTO \`${schema}\`.chain (seq, action) VALUES (1, 'dataset.read')`);
  await addWriterColumn(admin, `\`${schema}\`.outbox`, `\`${schema}\`.chain`);
  expect(await admin.query(`SELECT action, written_by AS writer FROM \`${schema}\`.outbox ORDER BY outbox_id`)).toEqual([
    { action: 'dataset.create', writer: null },
    { action: 'model.create', writer: null },
  ]);
  expect(await admin.query(`SELECT written_by AS writer FROM \`${schema}\`.chain`)).toEqual([{ writer: null }]);
  await admin.query(`INSERT INTO \`${schema}\`.outbox (action) VALUES ('job.submit')`);
  const [[{ me }], [later]] = (await Promise.all([admin.query('SELECT CURRENT_USER() AS me'), admin.query(`SELECT written_by AS writer FROM \`${schema}\`.outbox WHERE action = 'job.submit'`)])) as [[{ me: string }], [{ writer: string }]];
  expect(later.writer).toBe(me);
  // The chain has no default: the relay copies each event's writer from its outbox row.
  await admin.query(`INSERT INTO \`${schema}\`.chain (seq, action) VALUES (2, 'job.submit')`);
  expect(await admin.query(`SELECT written_by AS writer FROM \`${schema}\`.chain WHERE seq = 2`)).toEqual([{ writer: null }]);
});

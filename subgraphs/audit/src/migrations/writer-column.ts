import type { QueryRunner } from 'typeorm';

/**
 * `written_by`: the database account that wrote an event into an outbox, as the server knows it
 * (`CURRENT_USER()`, `user@host`), set by the column's default. No service account holds INSERT on
 * this column (column-level grants, see the audit service's table declarations), so a service can
 * neither name another writer nor leave it empty: an event says which service wrote it, whatever
 * its other columns claim. The chain copies it and hashes it.
 *
 * Added NULL first and given its default after, so the rows already there (an outbox's pending
 * events, every chained event) keep NULL — "written before writers were recorded" — rather than the
 * migrator's name, and chained events keep the hash they have. 384 = user (128) + '@' + host (255).
 */
export async function addWriterColumn(q: Pick<QueryRunner, 'query'>, outboxTable: string, chainTable: string): Promise<void> {
  await q.query(`ALTER TABLE ${outboxTable} ADD COLUMN written_by VARCHAR(384) NULL`);
  await q.query(`ALTER TABLE ${outboxTable} ALTER COLUMN written_by SET DEFAULT (CURRENT_USER())`);
  await q.query(`ALTER TABLE ${chainTable} ADD COLUMN written_by VARCHAR(384) NULL`);
}

export async function dropWriterColumn(q: Pick<QueryRunner, 'query'>, outboxTable: string, chainTable: string): Promise<void> {
  await q.query(`ALTER TABLE ${chainTable} DROP COLUMN written_by`);
  await q.query(`ALTER TABLE ${outboxTable} DROP COLUMN written_by`);
}

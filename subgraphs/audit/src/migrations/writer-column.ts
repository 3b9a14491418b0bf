/**
 * `written_by`: the database account that wrote an event into an outbox, as the server knows it
 * (`CURRENT_USER()`, `user@host`), set by the column's default. No service account holds INSERT on
 * this column (column-level grants, see the audit service's table declarations), so a service can
 * neither name another writer nor leave it empty: an event says which service wrote it, whatever
 * its other columns claim. The chain copies it and hashes it.
 *
 * The rows already there keep NULL — "written before writers were recorded" — rather than the
 * migrator's name: adding the column fills them with its default evaluated now (the migrator's
 * account), which the UPDATE clears at once; an event a service writes meanwhile keeps its writer.
 * Chained events get no default (the relay copies each outbox row's), so they keep their hashes.
 * (MySQL accepts CURRENT_USER() as a default in ADD COLUMN from 8.0.34, MariaDB from 10.2.)
 * 384 = user (128) + '@' + host (255).
 */
export async function addWriterColumn(q: { query(sql: string): Promise<unknown> }, outboxTable: string, chainTable: string): Promise<void> {
  await q.query(`ALTER TABLE ${outboxTable} ADD COLUMN written_by VARCHAR(384) NULL DEFAULT (CURRENT_USER())`);
  await q.query(`UPDATE ${outboxTable} SET written_by = NULL WHERE written_by = CURRENT_USER()`);
  await q.query(`ALTER TABLE ${chainTable} ADD COLUMN written_by VARCHAR(384) NULL`);
}

export async function dropWriterColumn(q: { query(sql: string): Promise<unknown> }, outboxTable: string, chainTable: string): Promise<void> {
  await q.query(`ALTER TABLE ${chainTable} DROP COLUMN written_by`);
  await q.query(`ALTER TABLE ${outboxTable} DROP COLUMN written_by`);
}

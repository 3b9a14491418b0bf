import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `data_key_floor`: one row per tenant schema, the lowest tenant data-key version a new sealed
 * value may use (0: none retired yet). Writers read it under a shared lock in the transaction that
 * stores a sealed value; the retirement of a version raises it before counting what still depends
 * on that version (see packages/tenancy/src/data-key-floor.ts). In the tenant's schema, so on the
 * same server as the writes it orders, wherever the tenant's region puts them.
 */
export class DataKeyFloor1766400000001 implements MigrationInterface {
  name = 'DataKeyFloor1766400000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE data_key_floor (id TINYINT NOT NULL PRIMARY KEY, floor_version INT NOT NULL) ENGINE=InnoDB');
    await q.query('INSERT INTO data_key_floor (id, floor_version) VALUES (1, 0)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE data_key_floor');
  }
}

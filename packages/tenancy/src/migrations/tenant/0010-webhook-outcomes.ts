import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: webhook deliveries record the platform's outcome of the last attempt
 * (`last_outcome`: DELIVERED, REFUSED_ADDRESS, CONNECTION_FAILED, TIMEOUT, REDIRECT_NOT_FOLLOWED,
 * HTTP_ERROR, WEBHOOK_REMOVED) instead of the receiver's status code and the connection's error
 * text, which let a tenant read what answered at an address of its choosing. Existing rows are
 * mapped onto outcomes and the old values cleared. `last_status` and `last_error` stay (NULL) so
 * a replica still running the previous code keeps working during a rolling upgrade.
 */
export class WebhookOutcomes1764000000010 implements MigrationInterface {
  name = 'WebhookOutcomes1764000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE webhook_deliveries ADD COLUMN last_outcome VARCHAR(32) NULL AFTER next_attempt_at');
    await q.query(
      `UPDATE webhook_deliveries SET
         last_outcome = CASE
           WHEN status = 'DELIVERED' THEN 'DELIVERED'
           WHEN last_status BETWEEN 300 AND 399 THEN 'REDIRECT_NOT_FOLLOWED'
           WHEN last_status IS NOT NULL THEN 'HTTP_ERROR'
           WHEN last_error = 'the tenant removed its webhook' THEN 'WEBHOOK_REMOVED'
           WHEN last_error LIKE '%abort%' OR last_error LIKE '%timeout%' OR last_error LIKE '%timed out%' THEN 'TIMEOUT'
           WHEN last_error IS NOT NULL THEN 'CONNECTION_FAILED'
           ELSE NULL
         END,
         last_status = NULL,
         last_error = NULL`,
    );
  }

  /** The cleared status codes and error texts are not restored. */
  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE webhook_deliveries DROP COLUMN last_outcome');
  }
}

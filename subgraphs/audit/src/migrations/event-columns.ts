/**
 * The columns an audit event has, wherever it is kept: a tenant's outbox and chain, and the
 * platform security log's (which adds the tenant it concerns, if any, after `occurred_at`).
 */
export function eventColumns(options: { tenantId: boolean }): string {
  return `
        id CHAR(36) NOT NULL,
        occurred_at DATETIME(3) NOT NULL,${options.tenantId ? '\n        tenant_id VARCHAR(32) NULL,' : ''}
        actor_subject VARCHAR(255) NOT NULL,
        actor_roles VARCHAR(255) NOT NULL,
        actor_client VARCHAR(255) NULL,
        action VARCHAR(64) NOT NULL,
        target_type VARCHAR(64) NOT NULL,
        target_id VARCHAR(255) NULL,
        outcome VARCHAR(16) NOT NULL,
        request_id VARCHAR(64) NULL,
        trace_id VARCHAR(32) NULL,
        source_ip VARCHAR(64) NULL,
        details_json JSON NOT NULL`;
}

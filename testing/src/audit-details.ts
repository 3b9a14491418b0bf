import { attachChainDetails } from '@tessera/audit-client';
import { keyringColumnKeys, sealedAuditDetails } from '@tessera/service-kit';
import { tenantDatabase } from '@tessera/tenancy';
import type { TestStack } from './test-stack';

/**
 * Rows of a tenant's `audit_events` read directly in SQL, with `details_json` replaced by the
 * event's details as the audit service reads them (opened from `audit_event_details`, where they
 * are kept sealed; the chain row holds `{}`). For tests that look at the chain's raw rows.
 */
export async function withAuditDetails<Row extends Record<string, unknown>>(stack: TestStack, tenantId: string, rows: Row[]): Promise<Row[]> {
  const store = sealedAuditDetails(keyringColumnKeys(stack.platform.runtime.keyring, tenantId));
  // The server holding the tenant's schema (its region's, with REGION_DATABASES).
  const db = await tenantDatabase(stack.platform.runtime.db, tenantId);
  const failures = await attachChainDetails((sql, params) => db.query(sql, params), store, rows);
  if (failures.size > 0) throw new Error(`sealed audit details did not open for events ${[...failures.keys()].join(', ')}`);
  return rows;
}

/**
 * Roles whose unused access a review flags: those that can change or delete tenant data (admin
 * also manages access and audit). A viewer's forgotten access is listed in the review, but reading
 * is not what SOC 2's privileged-access control is about, and flagging it would bury the findings
 * that matter.
 */
export const privilegedRoles: readonly string[] = ['admin', 'data_scientist'];

export type StalePrincipalType = 'MEMBER' | 'SERVICE_ACCOUNT' | 'API_KEY';

/** Someone (or something) holding access, with when it got it and its last known use. */
export interface AccessHolder {
  type: StalePrincipalType;
  id: string;
  /** How it appears as an actor in audit events, if it can yet (an unbound e-mail invitation cannot). */
  subject: string | null;
  /** What a person reads in the alert: e-mail or subject, account name, key id and account. */
  label: string;
  role: string;
  grantedAt: Date;
  /** The latest use known when the review runs (audited action, API key use); null: never used. */
  lastUsedAt: Date | null;
}

export interface StaleFinding extends AccessHolder {
  /** `member:<id>`, `service_account:<id>`, `api_key:<id>`: one principal across reviews. */
  key: string;
  /** Whole days from the last use (or, never used, from the grant) to the review's reference time. */
  idleDays: number;
}

const dayMs = 86_400_000;

export function principalKey(type: StalePrincipalType, id: string): string {
  return `${type === 'MEMBER' ? 'member' : type === 'SERVICE_ACCOUNT' ? 'service_account' : 'api_key'}:${id}`;
}

/**
 * The stale-access rule: privileged access not used in `days` days before `asOf`. A principal
 * that never used its access counts from when it was granted, so fresh access is not stale, and
 * access granted long ago and never used is. A use after `asOf` (a review written late, or caught
 * up) shows the access is in use: not stale.
 */
export function findStaleAccess(holders: readonly AccessHolder[], asOf: Date, days: number): StaleFinding[] {
  const limit = asOf.getTime() - days * dayMs;
  return holders
    .filter((holder) => privilegedRoles.includes(holder.role))
    .filter((holder) => (holder.lastUsedAt ?? holder.grantedAt).getTime() <= limit)
    .map((holder) => ({
      ...holder,
      key: principalKey(holder.type, holder.id),
      idleDays: Math.floor((asOf.getTime() - (holder.lastUsedAt ?? holder.grantedAt).getTime()) / dayMs),
    }));
}

import { apiRootFields, tenantRoles, type TenantRole } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { parseDateTimeInput } from '@tessera/service-kit';
import { canonicalEmail } from '../ports/email-address';

/** GraphQL's MemberRole enum (ADMIN, DATA_SCIENTIST, VIEWER, AUDITOR) ↔ the stored role. */
export function roleFromEnum(value: unknown, field = 'role'): TenantRole {
  const role = typeof value === 'string' ? value.toLowerCase() : '';
  if (!(tenantRoles as readonly string[]).includes(role)) throw errors.badInput(`${field} must be one of ${tenantRoles.map((r) => r.toUpperCase()).join(', ')}.`, { field });
  return role as TenantRole;
}

export const roleToEnum = (role: TenantRole): string => role.toUpperCase();

// Printable, no whitespace at the ends: what an IdP puts in `sub`.
const subjectPattern = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

export function parseSubject(value: unknown): string {
  if (typeof value !== 'string' || !subjectPattern.test(value)) throw errors.badInput('subject must be 1–255 printable ASCII characters without spaces at either end.', { field: 'subject' });
  // The platform's own principals (`system:`, `service-account:`): no token may carry one (the gateway refuses it), so no member is one.
  if (/^(system|service-account):/i.test(value)) throw errors.badInput('subject may not start with system: or service-account: — those name the platform’s own principals and API keys.', { field: 'subject' });
  return value;
}

/** An invitation's address, in its one spelling (canonicalEmail). The IdP verifies the address itself. */
export function parseEmail(value: unknown): string {
  const address = typeof value === 'string' ? canonicalEmail(value) : undefined;
  if (!address) throw errors.badInput('email is not a valid e-mail address.', { field: 'email' });
  return address;
}

const accountNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function parseAccountName(value: unknown): string {
  if (typeof value !== 'string' || !accountNamePattern.test(value)) throw errors.badInput('name must be 1–64 characters: lowercase letters, digits, ".", "_" and "-", starting with a letter or digit.', { field: 'name' });
  return value;
}

const fieldNamePattern = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
export const maxKeyOperations = 50;

/** Root field names (e.g. `datasets`, `predict`): what an operation-scoped key may run. */
export function parseOperations(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > maxKeyOperations) throw errors.badInput(`operations must list 1–${maxKeyOperations} field names, or be left out for every operation the role allows.`, { field: 'operations' });
  for (const name of value) if (typeof name !== 'string' || !fieldNamePattern.test(name) || name.startsWith('__')) throw errors.badInput('operations must be GraphQL root field names, e.g. datasets or predict.', { field: 'operations' });
  // A misspelt name would make a key that silently cannot run what its owner meant it for.
  const unknown = [...new Set(value as string[])].filter((name) => !apiRootFields.has(name)).sort();
  if (unknown.length > 0) throw errors.badInput(`operations lists fields the API does not have: ${unknown.join(', ')}.`, { field: 'operations', unknown });
  return [...new Set(value as string[])].sort();
}

export const defaultKeyLifetimeDays = 90;
export const maxKeyLifetimeDays = 366;

/** A key always expires: by default in 90 days, at most in 366, never in the past. */
export function parseExpiry(value: unknown, now: Date): Date {
  if (value === undefined || value === null) return new Date(now.getTime() + defaultKeyLifetimeDays * 86_400_000);
  const date = parseDateTimeInput(value, 'expiresAt');
  if (date.getTime() <= now.getTime()) throw errors.badInput('expiresAt must be in the future.', { field: 'expiresAt' });
  if (date.getTime() > now.getTime() + maxKeyLifetimeDays * 86_400_000) throw errors.badInput(`expiresAt may be at most ${maxKeyLifetimeDays} days ahead.`, { field: 'expiresAt' });
  return date;
}

const apiKeyIdPattern = /^[0-9a-f]{16}$/;

export function parseApiKeyId(value: unknown): string {
  if (typeof value !== 'string' || !apiKeyIdPattern.test(value)) throw errors.badInput('id is not a valid API key id.', { field: 'id' });
  return value;
}

export const maxInvitationTtlHours = 720;

/**
 * When an e-mail invitation stops being accepted: `hours` from now (1 to 720), or the
 * deployment's INVITATION_TTL_HOURS when left out.
 */
export function invitationExpiry(hours: unknown, defaultHours: number, now: Date, field = 'expiresInHours'): Date {
  const value = hours === undefined || hours === null ? defaultHours : hours;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxInvitationTtlHours) {
    throw errors.badInput(`${field} must be a whole number of hours from 1 to ${maxInvitationTtlHours}.`, { field });
  }
  return new Date(now.getTime() + value * 3_600_000);
}

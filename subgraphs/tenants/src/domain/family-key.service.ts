import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { parseUuid, type FamilyKeyReport } from '@tessera/service-kit';
import type { TenantStore } from '@tessera/tenancy';
import { managedTenant, type ManagedTenantDeps } from './access-admin';
import type { FamilyKeyRotator, KeyFamilyKind } from './family-key-rotator';
import type { KeyOperation } from './object-reencryptor';

export interface FamilyKeyDeps extends ManagedTenantDeps {
  tenants: TenantStore;
  /** Undefined when this process has no key provider or no owner ports (then SERVICE_UNAVAILABLE). */
  rotator?: FamilyKeyRotator | undefined;
}

/** What the API answers about one dataset's or model's own key. */
export interface FamilyKeyView {
  id: string;
  owner: 'DATASET' | 'MODEL';
  currentVersion: number;
  versions: Array<{ version: number; status: 'ACTIVE' | 'RETIRED'; createdAt: string; objects: number }>;
  objectsUnderTenantKey: number;
}

/**
 * One dataset's or model's own key, for the tenant's admins (or a platform admin naming the
 * tenant), authorised exactly as the tenant's data keys are: its versions, a rotation with the
 * re-encryption of the family's objects, and the destruction of an older version. An id the
 * tenant does not hold (another tenant's included) is NOT_FOUND, from the owner's own lookup in
 * the tenant's schema.
 */
export class FamilyKeyService {
  constructor(
    private readonly principal: Principal,
    private readonly deps: FamilyKeyDeps,
  ) {}

  async status(family: KeyFamilyKind, id: string, requested: string | null | undefined): Promise<FamilyKeyView> {
    const { tenantId, familyId } = await this.enter(id, requested);
    return view(family, await this.rotator().status(tenantId, family, familyId, this.principal.subject));
  }

  async rotate(family: KeyFamilyKind, id: string, requested: string | null | undefined): Promise<{ key: FamilyKeyView; operation: KeyOperation; coalesced: boolean }> {
    const { tenantId, familyId } = await this.enter(id, requested);
    const { operation, coalesced, key } = await this.rotator().rotate(tenantId, family, familyId, this.principal);
    return { key: view(family, key), operation, coalesced };
  }

  async retire(family: KeyFamilyKind, id: string, version: number, requested: string | null | undefined): Promise<FamilyKeyView> {
    const { tenantId, familyId } = await this.enter(id, requested);
    return view(family, await this.rotator().retire(tenantId, family, familyId, version, this.principal));
  }

  private async enter(id: string, requested: string | null | undefined): Promise<{ tenantId: string; familyId: string }> {
    // Roles and the tenant first, so a malformed id tells a lesser role nothing either.
    const tenantId = await managedTenant(this.principal, requested, this.deps);
    return { tenantId, familyId: parseUuid(typeof id === 'string' ? id.toLowerCase() : id, 'id') };
  }

  private rotator(): FamilyKeyRotator {
    if (!this.deps.rotator) throw errors.unavailable('This service has no key provider or owner ports configured.');
    return this.deps.rotator;
  }
}

function view(family: KeyFamilyKind, report: FamilyKeyReport): FamilyKeyView {
  return {
    id: report.familyId,
    owner: family === 'dataset' ? 'DATASET' : 'MODEL',
    currentVersion: report.currentVersion,
    versions: report.versions.map((entry) => ({ ...entry, status: entry.version === report.currentVersion ? 'ACTIVE' : 'RETIRED' })),
    objectsUnderTenantKey: report.objectsUnderTenantKey,
  };
}

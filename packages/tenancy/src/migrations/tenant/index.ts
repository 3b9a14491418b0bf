import { TenantPlane1764000000001 } from './0001-tenant-plane';

/** Applied, in order, to every tenant schema at provisioning (and on upgrade). */
export const tenantPlaneMigrations = [TenantPlane1764000000001];

import { createContext, useContext, type ReactNode } from 'react';
import type { UserManager } from 'oidc-client-ts';
import type { Principal, Role } from './session';

export interface Auth {
  principal: Principal;
  manager: UserManager;
  signOut(): Promise<void>;
}

const AuthContext = createContext<Auth | undefined>(undefined);

export function AuthProvider({ auth, children }: { auth: Auth; children: ReactNode }) {
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

/** The permission intents of packages/auth (assert-permission.ts), for showing or hiding actions. */
const permissionRoles = {
  read: ['admin', 'data_scientist', 'viewer'],
  inspect: ['admin', 'data_scientist', 'viewer', 'auditor'],
  audit: ['admin', 'auditor'],
  write: ['admin', 'data_scientist'],
  administer: ['admin'],
  platform: ['platform_admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissionRoles;

export function usePermission(permission: Permission): boolean {
  const { principal } = useAuth();
  const allowed: readonly Role[] = permissionRoles[permission];
  // Tenant permissions need a tenant; platform_admin holds none and sees no tenant data.
  if (permission !== 'platform' && !principal.tenant) return false;
  return principal.roles.some((role) => allowed.includes(role));
}

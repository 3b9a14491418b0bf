import { useEffect, useRef, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { ErrorMessage, Loading } from '../ui/components';
import { useRouter } from '../router';
import { AuthProvider, useAuth } from './AuthContext';
import { MeQuery } from './operations';
import type { Principal, Role } from './session';

const roleOf: Record<string, Role> = { ADMIN: 'admin', DATA_SCIENTIST: 'data_scientist', VIEWER: 'viewer', AUDITOR: 'auditor', PLATFORM_ADMIN: 'platform_admin' };

/**
 * Replaces the token's roles with the ones the API enforces (`me`) before anything is shown. The
 * token's roles claim is what the gateway uses only with ROLE_SOURCE=claims; with `members` the
 * tenant's membership decides, and a console reading the token would offer actions the API then
 * refuses, or hide ones the user may use. Asked again at each change of address, so a role changed
 * meanwhile shows on the next page.
 */
export function EffectivePrincipal({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const { path } = useRouter();
  const [{ data, error }, reexecute] = useQuery({ query: MeQuery });
  const firstPath = useRef(path);
  useEffect(() => {
    if (path === firstPath.current) return;
    firstPath.current = path;
    reexecute({ requestPolicy: 'network-only' });
  }, [path, reexecute]);
  // A later re-read that fails (the network, a restarting gateway) keeps the roles last read: the
  // views' own requests report such errors, and the API still decides.
  const last = useRef<Principal | undefined>(undefined);
  if (data) last.current = principalOfMe(data.me);
  if (last.current) return <AuthProvider auth={{ ...auth, principal: last.current }}>{children}</AuthProvider>;
  if (!error) return <Loading what="your roles" />;
  // No roles to show anything by (e.g. signed in, but not a member of the tenant): say so, and offer the way out.
  return (
    <main className="fatal">
      <h1>Tessera console</h1>
      <ErrorMessage error={error} />
      <div className="who" data-testid="who">
        {auth.principal.subject}
        <button type="button" onClick={() => void auth.signOut()}>Sign out</button>
      </div>
    </main>
  );
}

function principalOfMe(me: { subject: string; tenantId?: string | null; roles: readonly string[] }): Principal {
  return {
    subject: me.subject,
    tenant: me.tenantId ?? undefined,
    roles: me.roles.map((role) => roleOf[role]).filter((role): role is Role => role !== undefined),
  };
}

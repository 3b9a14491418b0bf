import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider as UrqlProvider } from 'urql';
import type { User } from 'oidc-client-ts';
import { App } from './App';
import { createApiClient } from './api/client';
import { AuthProvider, type Auth } from './auth/AuthContext';
import { EffectivePrincipal } from './auth/EffectivePrincipal';
import { createUserManager, principalOf, type ReturnState } from './auth/session';
import { safeReturnPath, signInRefusal } from './auth/sign-in-return';
import { loadConfig } from './config';
import { Router } from './router';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

function fatal(message: string) {
  root.render(<main className="fatal"><h1>Tessera console</h1><p role="alert">{message}</p><p><a href="/">Try again</a></p></main>);
}

/**
 * Signs in before anything renders: a page without a user goes to the issuer, and comes back to
 * /callback with a code, which is exchanged (PKCE) for tokens kept in memory.
 */
async function start(): Promise<void> {
  const config = await loadConfig();
  const manager = createUserManager(config);
  let user: User | null = null;
  if (window.location.pathname === '/callback') {
    const refused = new URLSearchParams(window.location.search).get('error');
    if (refused !== null) {
      // The callback consumes the pending sign-in's state (and checks it) even when the issuer refused.
      await manager.signinRedirectCallback().catch(() => undefined);
      await manager.clearStaleState().catch(() => undefined);
      fatal(signInRefusal(refused));
      return;
    }
    user = await manager.signinRedirectCallback();
    window.history.replaceState(null, '', safeReturnPath((user.state as ReturnState | undefined)?.path));
  } else {
    user = await manager.getUser();
  }
  if (!user || user.expired) {
    await manager.signinRedirect({ state: { path: window.location.pathname + window.location.search } satisfies ReturnState });
    return;
  }
  let current: User = user;
  manager.events.addUserLoaded((renewed) => {
    current = renewed;
  });
  // A failed renewal (refresh token gone, issuer session ended) means signing in again.
  manager.events.addSilentRenewError(() => void manager.signinRedirect({ state: { path: window.location.pathname } satisfies ReturnState }));
  const client = createApiClient(config.graphqlUrl, () => current.access_token);
  const auth: Auth = {
    principal: principalOf(user, config),
    manager,
    signOut: async () => {
      await manager.removeUser();
      await manager.signoutRedirect({ id_token_hint: current.id_token });
    },
  };
  root.render(
    <StrictMode>
      <AuthProvider auth={auth}>
        <UrqlProvider value={client}>
          <Router>
            <EffectivePrincipal>
              <App />
            </EffectivePrincipal>
          </Router>
        </UrqlProvider>
      </AuthProvider>
    </StrictMode>,
  );
}

start().catch((error: unknown) => fatal(`The console could not start: ${error instanceof Error ? error.message : String(error)}`));

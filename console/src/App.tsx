import { useAuth } from './auth/AuthContext';
import { Link, match, useRouter } from './router';
import { routes, type Route } from './routes';
import { ViewErrorBoundary } from './ui/ViewErrorBoundary';

export function App() {
  const { principal, signOut } = useAuth();
  const { path } = useRouter();
  const visible = routes.filter((route) => route.visible({ principal }));
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <span className="brand">Tessera</span>
        <nav aria-label="Main">
          <ul>{visible.map((route) => <li key={route.path}><Link to={route.path}>{route.label}</Link></li>)}</ul>
        </nav>
        <div className="who" data-testid="who">
          {principal.subject} · {principal.tenant ? `tenant ${principal.tenant}` : 'platform'} · {principal.roles.join(', ')}
          <button type="button" onClick={() => void signOut()}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {/* A view that fails to render replaces only itself; leaving its address clears the error. */}
        <ViewErrorBoundary resetKey={path} {...backFor(path, visible[0])}>
          <Page path={path} fallback={visible[0]?.path} />
        </ViewErrorBoundary>
      </main>
    </>
  );
}

function Page({ path, fallback }: { path: string; fallback: string | undefined }) {
  const { principal } = useAuth();
  for (const route of routes) {
    const params = match(route.path, path) ?? route.details?.map((pattern) => match(pattern, path)).find((found) => found !== undefined);
    if (!params) continue;
    if (!route.visible({ principal })) return <NotAllowed />;
    return route.render(params);
  }
  if (path === '/' || path.startsWith('/callback')) {
    const first = routes.find((route) => route.path === fallback);
    return first ? first.render({}) : <NotAllowed />;
  }
  return <section><h1>Not found</h1><p>There is no page at {path}.</p></section>;
}

/** Where a failed detail view leads back to: its area's list. A failed list has "Try again" and the menu. */
function backFor(path: string, first: Route | undefined): { back?: { to: string; label: string } } {
  const area = routes.find((route) => match(route.path, path) || route.details?.some((pattern) => match(pattern, path))) ?? first;
  if (!area || match(area.path, path)) return {};
  return { back: { to: area.path, label: `Back to ${area.label}` } };
}

function NotAllowed() {
  return <section><h1>Not available</h1><p role="alert">Your role does not include this part of the console.</p></section>;
}

import { useAuth } from './auth/AuthContext';
import { Link, match, useRouter } from './router';
import { routes } from './routes';

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
        <Page path={path} fallback={visible[0]?.path} />
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

function NotAllowed() {
  return <section><h1>Not available</h1><p role="alert">Your role does not include this part of the console.</p></section>;
}

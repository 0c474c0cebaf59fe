/** The dashboard's frame: sign-in until a token is accepted, then the header, the navigation and the page. */
import { useEffect, useState } from 'react';
import { type DashboardSettings, fetchSettings } from './api';
import { ErrorAlert } from './components';
import { BackfillPage } from './pages/BackfillPage';
import { HistoryPage } from './pages/HistoryPage';
import { PartnersPage } from './pages/PartnersPage';
import { SignInPage } from './pages/SignInPage';
import { StartBackfillPage } from './pages/StartBackfillPage';
import { Link, useLocation } from './router';
import { SessionProvider, useSession } from './session';

export function App() {
  const [settings, setSettings] = useState<DashboardSettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetchSettings().then(setSettings, (e: Error) => setError(e.message));
  }, []);
  if (error) return <ErrorAlert message={error} />;
  if (!settings) return <p className="loading">Loading…</p>;
  return (
    <SessionProvider>
      <Shell settings={settings} />
    </SessionProvider>
  );
}

function Shell({ settings }: { settings: DashboardSettings }) {
  const { session, signOut } = useSession();
  const { path } = useLocation();
  useEffect(() => {
    document.title = `${titleOf(path)} · Care Graph admin`;
  }, [path]);
  if (!session) return <SignInPage settings={settings} />;
  const { claims } = session;
  const nav: [string, string][] = [
    ['/', 'Partners and rosters'],
    ['/backfills/new', 'Start a backfill'],
    ['/backfills', 'History'],
  ];
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Care Graph admin</span>
        <nav aria-label="Main">
          <ul>
            {nav.map(([to, label]) => (
              <li key={to}>
                <Link to={to} aria-current={currentNav(path) === to ? 'page' : undefined}>
                  {label}
                </Link>
              </li>
            ))}
            {settings.ide && (
              <li>
                <a href="/graphiql">GraphQL IDE</a>
              </li>
            )}
          </ul>
        </nav>
        <div className="who">
          <span>
            Signed in as <strong>{claims.subject}</strong> <span className="role">{claims.role}</span>
            {claims.partnerId && <span className="partner-scope"> of partner {claims.partnerId}</span>}
          </span>
          <button type="button" className="secondary" onClick={() => signOut('You signed out.')}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {claims.role !== 'admin' && (
          <p className="notice">
            This token has the role <strong>{claims.role}</strong>: uploads and backfills need an admin token; what it may read is shown.
          </p>
        )}
        <Page path={path} />
      </main>
    </>
  );
}

function currentNav(path: string): string {
  if (path === '/backfills/new') return path;
  if (path.startsWith('/backfills')) return '/backfills';
  return '/';
}

function titleOf(path: string): string {
  if (path === '/backfills/new') return 'Start a backfill';
  if (path === '/backfills') return 'History';
  if (path.startsWith('/backfills/')) return 'Backfill';
  return 'Partners and rosters';
}

function Page({ path }: { path: string }) {
  if (path === '/backfills/new') return <StartBackfillPage />;
  if (path === '/backfills') return <HistoryPage />;
  const backfill = /^\/backfills\/([^/]+)$/.exec(path);
  if (backfill) return <BackfillPage id={decodeURIComponent(backfill[1])} key={backfill[1]} />;
  if (path === '/' || path === '') return <PartnersPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at this address. <Link to="/">Go to partners and rosters</Link>.
      </p>
    </section>
  );
}

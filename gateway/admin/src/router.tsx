/**
 * A few pages under `/admin`, addressed by the URL (so a backfill's live view can be bookmarked or reloaded).
 * The gateway answers every `/admin/...` path with the dashboard.
 */
import { type AnchorHTMLAttributes, useEffect, useState } from 'react';

const BASE = '/admin';

export function navigate(to: string): void {
  history.pushState(null, '', BASE + to);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The path inside the dashboard, e.g. `/backfills/abc`, and its query. */
const read = () => ({ path: location.pathname.slice(BASE.length) || '/', query: new URLSearchParams(location.search) });

export function useLocation(): { path: string; query: URLSearchParams } {
  const [current, setCurrent] = useState(read);
  useEffect(() => {
    const update = () => setCurrent(read());
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return current;
}

export function Link({ to, ...props }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a
      {...props}
      href={BASE + to}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(to);
      }}
    />
  );
}

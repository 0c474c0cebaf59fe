/**
 * Who is signed in: the bearer token (kept in this tab's sessionStorage, never in localStorage), the claims
 * the dashboard shows (subject, role), and the API bound to it. The server decides whether a token is valid;
 * the claims are read here only to show them and to sign out when the token expires.
 */

import { AdminPartnersDocument } from '@care-graph/operations';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { Api, describeError } from './api';

const STORAGE_KEY = 'care-graph.token';

export interface Claims {
  subject: string;
  role: string;
  partnerId?: string;
  email?: string;
  /** Seconds since the epoch. */
  expiresAt?: number;
}

interface Session {
  api: Api;
  claims: Claims;
}

interface SessionValue {
  session: Session | null;
  /** Why the user was returned to sign-in (an expired or refused token), until the next sign-in. */
  notice: string | null;
  signIn(token: string): Promise<void>;
  signOut(notice?: string): void;
}

const SessionContext = createContext<SessionValue | null>(null);

/** The token's claims, or an Error saying why it is not a token at all. */
function readClaims(token: string): Claims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('This is not a bearer token: a token has three parts separated by dots.');
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw new Error('This is not a bearer token: its middle part is not readable.');
  }
  return {
    subject: String(payload.sub ?? 'unknown'),
    role: String(payload.role ?? 'unknown'),
    partnerId: typeof payload.partner_id === 'string' ? payload.partner_id : undefined,
    email: typeof payload.email === 'string' ? payload.email : undefined,
    expiresAt: typeof payload.exp === 'number' ? payload.exp : undefined,
  };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [restoring, setRestoring] = useState(true);

  const signOut = useCallback((why?: string) => {
    sessionStorage.removeItem(STORAGE_KEY);
    setSession((current) => {
      current?.api.close();
      return null;
    });
    setNotice(why ?? null);
  }, []);

  const signIn = useCallback(
    async (raw: string) => {
      const token = raw.trim().replace(/^Bearer\s+/i, '');
      const claims = readClaims(token);
      if (claims.expiresAt && claims.expiresAt * 1000 <= Date.now()) throw new Error('This token has expired. Get a new one.');
      const api = new Api(token, (message) => signOut(`You were signed out: ${message}`));
      // The server is the judge: a token it refuses never signs in.
      try {
        await api.query(AdminPartnersDocument, { first: 1 });
      } catch (error) {
        api.close();
        throw new Error(describeError(error).message);
      }
      sessionStorage.setItem(STORAGE_KEY, token);
      setNotice(null);
      setSession({ api, claims });
    },
    [signOut],
  );

  // A reload keeps the tab signed in, if the server still accepts its token.
  useEffect(() => {
    const saved = sessionStorage.getItem(STORAGE_KEY);
    if (!saved) {
      setRestoring(false);
      return;
    }
    signIn(saved)
      .catch((error: Error) => signOut(`You were signed out: ${error.message}`))
      .finally(() => setRestoring(false));
  }, [signIn, signOut]);

  // Expiry signs out on time, not at the next failed call.
  useEffect(() => {
    const expiresAt = session?.claims.expiresAt;
    if (!expiresAt) return;
    const timer = setTimeout(() => signOut('Your token expired. Sign in again.'), Math.max(0, expiresAt * 1000 - Date.now()));
    return () => clearTimeout(timer);
  }, [session, signOut]);

  const value = useMemo(() => ({ session, notice, signIn, signOut }), [session, notice, signIn, signOut]);
  if (restoring) return <p className="loading">Loading…</p>;
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in API; only pages behind sign-in use it. */
export function useApi(): Api {
  const { session } = useSession();
  if (!session) throw new Error('useApi while signed out');
  return session.api;
}

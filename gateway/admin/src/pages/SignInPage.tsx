import { type FormEvent, useState } from 'react';
import { type DashboardSettings, fetchDevToken } from '../api';
import { useSession } from '../session';

export function SignInPage({ settings }: { settings: DashboardSettings }) {
  const { signIn, notice } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const attempt = async (get: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      await signIn(await get());
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!token.trim()) {
      setError('Paste a bearer token first.');
      return;
    }
    void attempt(async () => token);
  };

  return (
    <main id="main" className="sign-in">
      <h1>Care Graph admin</h1>
      <p>Sign in with a bearer token to manage partners, rosters and backfills.</p>
      {notice && !error && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {error && (
        <p role="alert" className="error" id="token-error">
          {error}
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor="token">Token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          spellCheck={false}
          autoComplete="off"
          value={token}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'token-error token-help' : 'token-help'}
          onChange={(event) => setToken(event.target.value)}
        />
        <p id="token-help" className="help">
          {settings.mode === 'embedded'
            ? 'From npm run -s token -- admin, or use the development token below.'
            : "From your organisation's identity provider."}
        </p>
        <div className="actions">
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          {settings.devTokens && (
            <button type="button" className="secondary" disabled={busy} onClick={() => void attempt(fetchDevToken)}>
              Use development admin token
            </button>
          )}
        </div>
      </form>
    </main>
  );
}

/** The root: find out whether an account exists and is unlocked, and show the right screen. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, errorText, type Api } from './api.ts';
import type { AppState } from './model.ts';
import { Onboarding, Unlock } from './onboarding.tsx';
import { Shell } from './shell.tsx';
import { forgetToken } from './token.ts';

export function NoToken({ refused }: { refused: boolean }) {
  return (
    <main class="onboarding" id="main">
      <h1>Samizdat</h1>
      <p role="alert">
        {refused ? 'This link has expired: Samizdat was restarted since it was opened.' : 'This page needs the link that Samizdat printed when it started.'} Open the address shown by{' '}
        <code>samizdat ui</code> (or <code>npm start</code>), including the part after <code>#</code>.
      </p>
    </main>
  );
}

export function App({ api }: { api: Api }) {
  const [state, setState] = useState<AppState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    try {
      setState(await api.state());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [api]);
  useEffect(() => {
    void reload();
  }, [reload]);

  if (error instanceof ApiError && error.status === 401) {
    forgetToken();
    return <NoToken refused />;
  }
  if (error !== null) {
    return (
      <main class="onboarding" id="main">
        <h1>Samizdat</h1>
        <p role="alert">{errorText(error)}</p>
        <button type="button" onClick={() => void reload()}>
          Try again
        </button>
      </main>
    );
  }
  if (state === null) return <p class="placeholder">Loading…</p>;
  if (state.locked) return <Unlock api={api} onDone={() => void reload()} />;
  if (state.account === null) return <Onboarding api={api} onDone={() => void reload()} />;
  return <Shell api={api} account={state.account} />;
}

/**
 * The session token of `samizdat ui`. It arrives in the URL fragment (#token=...), which the
 * browser never sends to a server or in a Referer; it is kept in memory and in sessionStorage
 * (so a reload of this tab keeps working, and it is gone when the tab closes), and removed from
 * the address bar and history at once.
 */
const KEY = 'samizdat.token';
const TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;

export function takeToken(): string | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromHash = params.get('token');
  if (fromHash !== null) {
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    if (TOKEN_RE.test(fromHash)) {
      try {
        sessionStorage.setItem(KEY, fromHash);
      } catch {
        // storage disabled: the token lives in memory only, and a reload needs the link again
      }
      return fromHash;
    }
  }
  let stored: string | null = null;
  try {
    stored = sessionStorage.getItem(KEY);
  } catch {
    stored = null;
  }
  return stored !== null && TOKEN_RE.test(stored) ? stored : null;
}

/** Forgets the token (it was refused: the server restarted with a new one). */
export function forgetToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

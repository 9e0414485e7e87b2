/** What every API handler receives. */
import type { CryptoProvider } from '../crypto/provider.ts';
import type { Emit } from './account-session.ts';
import type { ProfileHost } from './profile-host.ts';

export interface ApiContext {
  readonly host: ProfileHost;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly emit: Emit;
}

export interface ApiCall {
  /** The route's `:param` values, URL-decoded, in order. */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  /** The JSON object body (read once, bounded; `{}` when empty). */
  body(): Promise<Record<string, unknown>>;
}

/** A handler returns the JSON answer (status 200). */
export type ApiHandler = (ctx: ApiContext, call: ApiCall) => unknown;

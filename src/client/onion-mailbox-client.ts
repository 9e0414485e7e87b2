/**
 * The mailbox client real users get: every store, retrieve and delete travels an onion path
 * (onion-channel.ts), with the two pinned guards kept in `guardDir` (guard-store.ts). Same API as
 * the direct client; long-poll retrieves keep using the circuit they started on.
 */
import type { CryptoProvider } from '../crypto/index.ts';
import type { Consensus } from '../directory/index.ts';
import type { RpcTransport } from '../wire/index.ts';
import { openGuardStore, type GuardStore } from './guard-store.ts';
import { createMailboxClient, type MailboxClient } from './mailbox-client.ts';
import { createOnionChannel } from './onion-channel.ts';
import { createCircuitManager, type CircuitEvent, type CircuitManager } from './onion-circuits.ts';
import { randomIntFrom, type RandomInt } from './path-select.ts';

export interface OnionMailboxClientOptions {
  readonly transport: RpcTransport;
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  /** The current verified consensus (e.g. from a directory follower). */
  readonly consensus: () => Consensus;
  /** From the network file: may two hops share a /24 or /48 (a one-host devnet)? */
  readonly allowSameSubnet: boolean;
  /** Where guards.json lives (the profile directory). */
  readonly guardDir: string;
  /** Default: uniform over crypto.randomBytes. */
  readonly randomInt?: RandomInt;
  readonly observer?: (event: CircuitEvent) => void;
}

export interface OnionMailboxClient extends MailboxClient {
  readonly circuits: CircuitManager;
  readonly guards: GuardStore;
}

export async function createOnionMailboxClient(options: OnionMailboxClientOptions): Promise<OnionMailboxClient> {
  const { transport, crypto, now, consensus, allowSameSubnet } = options;
  const randomInt = options.randomInt ?? randomIntFrom((n) => crypto.randomBytes(n));
  const guards = await openGuardStore({ dir: options.guardDir, now, randomInt, allowSameSubnet });
  const circuits = createCircuitManager({
    transport,
    crypto,
    now,
    consensus,
    guards,
    allowSameSubnet,
    randomInt,
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
  const channel = createOnionChannel({ crypto, now, consensus, circuits });
  return { ...createMailboxClient({ crypto, now, channel }), circuits, guards };
}

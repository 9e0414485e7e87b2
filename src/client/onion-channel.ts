/**
 * The onion channel under the mailbox client: each encoded MailboxRequest is sealed for its
 * target node (the target's onion key from the verified consensus), sent through a circuit
 * guard -> middle -> exit (onion-circuits.ts), and the target's sealed answer opened here. The
 * guard learns the client but not the target; the target learns the request but not the client.
 *
 * Errors: the target's own typed errors as it sent them (a WRONG_SWARM arrives inside the
 * MailboxResponse and the mailbox client raises it); PATH_FAILED{hop} for the path. An
 * idempotent request (retrieve, delete) that fails at hop 0-2 is sent once more on a new path
 * if the deadline allows; a store is not, since its first copy may have reached the target.
 * Requests about different accounts (options.account) travel on different circuits.
 */
import { toHex, type CryptoProvider } from '../crypto/index.ts';
import { createNodeIndex, type Consensus } from '../directory/index.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import type { ChannelRequestOptions, MailboxChannel } from './mailbox-client.ts';
import { onionHopOf, type CircuitManager } from './onion-circuits.ts';

/** Tries of an idempotent request: the first path, then one fresh path after a hop failure. */
export const MAX_REQUEST_ATTEMPTS = 2;
/** Time a retry needs at least (a circuit build and one round trip on a loaded devnet). */
const MIN_RETRY_BUDGET_MS = 500;

export interface OnionChannelOptions {
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly consensus: () => Consensus;
  readonly circuits: CircuitManager;
}

export interface OnionChannel extends MailboxChannel {
  readonly circuits: CircuitManager;
}

function retryable(err: unknown): boolean {
  if (!isSamizdatError(err, 'PATH_FAILED')) return false;
  const hop = err.detail.hop;
  return typeof hop === 'number' && hop >= 0 && hop <= 2;
}

export function createOnionChannel(options: OnionChannelOptions): OnionChannel {
  const { crypto, now, circuits } = options;
  // Indexed by peer ID once per consensus: a scan per request would grow with the network.
  const nodes = createNodeIndex(options.consensus);
  return {
    circuits,
    async request(target, request, o: ChannelRequestOptions) {
      if (!Number.isSafeInteger(o.timeoutMs) || o.timeoutMs <= 0) throw new SamizdatError('INVALID_ARGUMENT', 'timeoutMs must be a positive integer');
      const deadline = o.signal === undefined ? { deadlineMs: now() + o.timeoutMs } : { deadlineMs: now() + o.timeoutMs, signal: o.signal };
      const attempts = o.idempotent ? MAX_REQUEST_ATTEMPTS : 1;
      for (let attempt = 1; ; attempt++) {
        const node = nodes.find(target.peerId);
        if (node === undefined) {
          throw new SamizdatError('PATH_FAILED', `${target.peerId} is not in the consensus, so its onion key is unknown`, {
            detail: { hop: 3, reason: 'target-not-in-consensus', peerId: target.peerId },
          });
        }
        const circuit = await circuits.circuitFor(node.peerId, deadline, o.account === undefined ? '' : toHex(o.account));
        try {
          return await circuit.send(onionHopOf(crypto, node), request, deadline);
        } catch (err) {
          const budget = deadline.deadlineMs - now();
          if (attempt >= attempts || !retryable(err) || o.signal?.aborted === true || budget < MIN_RETRY_BUDGET_MS) throw err;
        }
      }
    },
    close() {
      circuits.close();
    },
  };
}

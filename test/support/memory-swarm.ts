/**
 * An in-memory stand-in for the network under a messenger: one shared store of (account,
 * namespace) mailboxes that several SwarmMailbox/MailboxClient views read and write, with the
 * node's rules that matter to clients (bundle replaces, ids are SHA-256 of the body, cursors
 * grow, deletes remove). Lets client tests run without libp2p; the devnet tests cover the real
 * network.
 */
import { messageId, type MailboxNamespace } from '../../src/identity/message-id.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import type { MailboxClient, RetrieveResult, StoreOptions, StoreResult } from '../../src/client/mailbox-client.ts';
import { SamizdatError } from '../../src/errors.ts';
import { openOwnerItem, signOwnerItem } from '../../src/identity/owner-item.ts';
import type { SwarmMailbox } from '../../src/client/swarm-mailbox.ts';
import type { PeerTarget } from '../../src/wire/index.ts';

interface Item {
  readonly id: Uint8Array;
  readonly body: Uint8Array;
  readonly expiresAtMs: number;
  readonly cursor: bigint;
}

export interface MemoryNetwork {
  /** Every body stored, in every mailbox, or in one namespace (for scans). */
  bodies(namespace?: string): Uint8Array[];
  view(): { swarm: SwarmMailbox; mailbox: MailboxClient };
  /** Stores made (including second copies). */
  readonly stores: number;
  /** The kind of proof each inbox store carried, in order ('pow', 'contact' or 'none'). */
  readonly proofs: string[];
}

const MEMBERS: PeerTarget[] = [1, 2, 3, 4, 5].map((i) => ({ peerId: `member-${i}`, addresses: [] }));

export function createMemoryNetwork(crypto: CryptoProvider, now: () => number = Date.now): MemoryNetwork {
  const boxes = new Map<string, Item[]>();
  let nextCursor = 1n;
  let stores = 0;
  const proofs: string[] = [];
  const noteProof = (namespace: string, proof: object | undefined): void => {
    if (namespace === 'inbox') proofs.push(proof === undefined ? 'none' : 'powNonce' in proof ? 'pow' : 'contact');
  };
  const key = (account: Uint8Array, namespace: string): string => `${toHex(account)}/${namespace}`;

  /** Owner items carry the owner's signature on the node, as MailboxClient.store adds it. */
  const wrap = (o: StoreOptions): Uint8Array => {
    if (o.namespace === 'inbox') return o.body;
    if (o.identityKey === undefined) throw new SamizdatError('INVALID_ARGUMENT', `storing to ${o.namespace} needs the identity key`);
    return signOwnerItem(crypto, o.identityKey, o.namespace, o.body);
  };
  const unwrap = (account: Uint8Array, namespace: string, result: RetrieveResult): RetrieveResult =>
    namespace === 'inbox' ? result : { ...result, messages: result.messages.map((m) => ({ ...m, body: openOwnerItem(crypto, account, namespace, m.body) })) };
  const store = (account: Uint8Array, namespace: string, body: Uint8Array, ttlMs: number): StoreResult => {
    stores += 1;
    const id = messageId(crypto, namespace as MailboxNamespace, account, body);
    const list = boxes.get(key(account, namespace)) ?? [];
    const existing = list.find((i) => toHex(i.id) === toHex(id));
    if (existing !== undefined) return { id, expiresAtMs: existing.expiresAtMs, replicas: 1 };
    const item: Item = { id, body: body.slice(), expiresAtMs: now() + ttlMs, cursor: nextCursor++ };
    boxes.set(key(account, namespace), namespace === 'bundle' ? [item] : [...list, item]);
    return { id, expiresAtMs: item.expiresAtMs, replicas: 1 };
  };
  const retrieve = (account: Uint8Array, namespace: string, after: bigint, limit: number): RetrieveResult => {
    const list = (boxes.get(key(account, namespace)) ?? []).filter((i) => i.cursor > after);
    return { messages: list.slice(0, limit).map((i) => ({ ...i })), more: list.length > limit, full: false };
  };
  const remove = (account: Uint8Array, namespace: string, ids: readonly Uint8Array[]): number => {
    const hex = new Set(ids.map((i) => toHex(i)));
    const list = boxes.get(key(account, namespace)) ?? [];
    const kept = list.filter((i) => !hex.has(toHex(i.id)));
    boxes.set(key(account, namespace), kept);
    return list.length - kept.length;
  };

  return {
    bodies: (namespace) => [...boxes.entries()].filter(([k]) => namespace === undefined || k.endsWith(`/${namespace}`)).flatMap(([, items]) => items.map((i) => i.body)),
    get stores() {
      return stores;
    },
    proofs,
    view() {
      const mailbox: MailboxClient = {
        store: (_target, o) => {
          noteProof(o.namespace, o.proof);
          return Promise.resolve(store(o.account, o.namespace, wrap(o), o.ttlMs));
        },
        retrieve: (_target, o) => Promise.resolve(unwrap(o.account, o.namespace, retrieve(o.account, o.namespace, o.after ?? 0n, o.limit ?? 100))),
        delete: (_target, o) => Promise.resolve(remove(o.account, o.namespace, o.ids)),
        close: () => undefined,
      };
      const swarm: SwarmMailbox = {
        swarmOf: () => [...MEMBERS],
        store: (o) => {
          noteProof(o.namespace, o.proof);
          return Promise.resolve({ ...store(o.account, o.namespace, wrap(o), o.ttlMs), target: MEMBERS[0]! });
        },
        retrieve: (o) => Promise.resolve({ ...unwrap(o.account, o.namespace, retrieve(o.account, o.namespace, o.afterFor?.(MEMBERS[0]!) ?? o.after ?? 0n, o.limit ?? 100)), target: MEMBERS[0]! }),
        delete: (o) => Promise.resolve(remove(o.account, o.namespace, o.ids)),
      };
      return { swarm, mailbox };
    },
  };
}

/**
 * The `messaging` suite's in-process measurements of our side: PQXDH handshake CPU time (src/e2e/
 * pqxdh.ts, on a bundle signed by the prekey manager and checked with verifyPrekeyBundle), the
 * whole first-message cost as the messenger pays it (session-crypto.ts sealForPeer on an empty
 * record, openFromPeer), and the bytes a 16-byte text becomes at each layer: ratchet message,
 * session message, sealed envelope, and the OnionRequest that carries the store to the guard.
 */
import { generateHybridKeyPair } from '../src/crypto/hybrid-kem.ts';
import { createNodeCryptoProvider } from '../src/crypto/node-provider.ts';
import type { CryptoProvider, PrivateKey } from '../src/crypto/provider.ts';
import { createMailboxClient } from '../src/client/mailbox-client.ts';
import { MESSAGE_TTL_MS } from '../src/client/messenger.ts';
import { onionHopOf } from '../src/client/onion-circuits.ts';
import { createPrekeyManager, type PrekeyManager } from '../src/client/prekeys.ts';
import { openProfileDb, type ProfileDb } from '../src/client/profile-db.ts';
import { openFromPeer, sealForPeer, type PeerRecord } from '../src/client/session-crypto.ts';
import type { NodeDescriptor } from '../src/directory/index.ts';
import { encodeChatContent, encodeSessionMessage, newMessageId } from '../src/e2e/content.ts';
import { initiateHandshake, respondHandshake, type HandshakeIdentity, type PrekeyKind } from '../src/e2e/pqxdh.ts';
import { initReceiverRatchet, initSenderRatchet, ratchetDecrypt, ratchetEncrypt, type RatchetState } from '../src/e2e/ratchet.ts';
import { deriveAccountKeys, type AccountKeys } from '../src/identity/account-keys.ts';
import { verifyPrekeyBundle, type PrekeyBundle } from '../src/identity/prekey-bundle.ts';
import { generateRecoveryPhrase } from '../src/identity/recovery-phrase.ts';
import { OnionCircuit, encodeExitPayload, openTargetSession, sealSessionRequest } from '../src/onion/index.ts';
import { usPerOp } from './messaging-libsignal.ts';

const HOUR = 3_600_000;
/** The 16-byte text of the size rows (and of the first-message timings). */
export const TEXT_16 = 'sixteen bytes :)';
const RAW_16 = new Uint8Array(16).fill(0x33);
const EMPTY_RECORD: PeerRecord = { current: undefined, archived: [], peerBundle: undefined, bundleFetchedAtMs: 0, bundleSequence: 0n };

interface Party {
  readonly keys: AccountKeys;
  readonly own: HandshakeIdentity;
  readonly db: ProfileDb;
  readonly prekeys: PrekeyManager;
  /** The party's published bundle, opened and verified as a sender does. */
  readonly bundle: PrekeyBundle;
  readonly bundleBytes: Uint8Array;
  /** Its signed prekeys in memory, for the bare handshake (no database read). */
  readonly lookup: (kind: PrekeyKind, id: number) => PrivateKey | undefined;
}

function party(crypto: CryptoProvider, now: () => number): Party {
  const keys = deriveAccountKeys(crypto, generateRecoveryPhrase((n) => crypto.randomBytes(n)));
  const db = openProfileDb({ path: ':memory:', crypto, now, account: keys });
  const prekeys = createPrekeyManager({ crypto, db, keys, now, rotationMs: 12 * HOUR });
  prekeys.rotateIfDue();
  const item = prekeys.bundleToPublish();
  const current = prekeys.current();
  if (item === undefined || current === undefined) throw new Error('no bundle to publish');
  const bundleBytes = item.body.slice(); // the SignedPrekeyBundle (MailboxClient.store adds the owner signature)
  const bundle = verifyPrekeyBundle(crypto, bundleBytes, { expectedIdentity: keys.identityPublicKey, now: now() });
  return {
    keys,
    own: { identity: keys.identity, identityX25519: keys.mailboxX25519 },
    db,
    prekeys,
    bundle,
    bundleBytes,
    lookup: (kind, id) => {
      if (kind === 'signed-x25519' && id === current.x25519.id) return current.x25519.key;
      if (kind === 'signed-ml-kem' && id === current.mlKem.id) return current.mlKem.key;
      return undefined;
    },
  };
}

export interface OurHandshakeResult {
  readonly verifyBundleUs: number;
  readonly initiateUs: number;
  readonly respondUs: number;
  /** sealForPeer on an empty record: handshake, ratchet start, encrypt, sealed envelope. */
  readonly sendFirstUs: number;
  /** openFromPeer of that envelope: open the envelope, answer the handshake, decrypt. */
  readonly receiveFirstUs: number;
}

/** CPU time of the handshake and of the whole first message, `count` timed operations each. */
export async function measureOurHandshake(count: number): Promise<OurHandshakeResult> {
  const crypto = createNodeCryptoProvider();
  const now = Date.now;
  const alice = party(crypto, now);
  const bob = party(crypto, now);
  try {
    const verifyBundleUs = await usPerOp(count, () =>
      verifyPrekeyBundle(crypto, bob.bundleBytes, { expectedIdentity: bob.keys.identityPublicKey, now: now() }),
    );
    const inits: Uint8Array[] = [];
    const initiateUs = await usPerOp(count, () => inits.push(initiateHandshake(crypto, alice.own, bob.bundle).init));
    const respondUs = await usPerOp(count, (i) => respondHandshake(crypto, bob.own, { lookup: bob.lookup }, inits[i] ?? new Uint8Array(0)));
    const envelopes: Uint8Array[] = [];
    const plaintext = encodeChatContent({ messageId: newMessageId(crypto), sentAtMs: now(), body: { kind: 'text', text: TEXT_16 } });
    const sendFirstUs = await usPerOp(count, () => envelopes.push(sealForPeer(crypto, alice.own, EMPTY_RECORD, bob.bundle, plaintext, now()).envelope));
    const receiveFirstUs = await usPerOp(count, (i) => {
      const opened = openFromPeer(crypto, bob.db, bob.own, bob.prekeys, envelopes[i] ?? new Uint8Array(0), now());
      if (opened.plaintext.length !== plaintext.length) throw new Error('first message lost bytes');
    });
    return { verifyBundleUs, initiateUs, respondUs, sendFirstUs, receiveFirstUs };
  } finally {
    alice.db.close();
    bob.db.close();
  }
}

export interface OurBytesResult {
  /** Ratchet message of 16 raw bytes: the first of a session, and a later one in the same chain. */
  readonly firstRatchet: number;
  readonly laterRatchet: number;
  /** The session message inside the envelope: HandshakeInit + ratchet message for the first. */
  readonly firstSession: number;
  /** Sealed envelopes of a 16-character chat text as the messenger sends them. */
  readonly firstEnvelope: number;
  readonly laterEnvelope: number;
  /** The OnionRequest the client sends its guard to store each envelope, by target-layer form. */
  readonly firstOnion: { readonly opening: number; readonly session: number };
  readonly laterOnion: { readonly opening: number; readonly session: number };
}

/** The OnionRequest sizes of a store of `envelope` through a 3-hop circuit to a 4th node. */
async function onionStoreSizes(crypto: CryptoProvider, account: Uint8Array, envelope: Uint8Array): Promise<{ opening: number; session: number }> {
  const nodes: NodeDescriptor[] = [0, 1, 2, 3].map((i) => {
    const k = generateHybridKeyPair(crypto);
    return {
      nodeId: crypto.randomBytes(32),
      peerId: `12D3KooW${'B'.repeat(44)}`.slice(0, 52 - String(i).length) + String(i),
      addresses: [`/ip4/127.0.0.1/tcp/${40_000 + i}`],
      onionX25519: k.publicKey.subarray(0, 32),
      onionMlKem: k.publicKey.subarray(32),
      version: 'bench',
      publishedAtMs: 0,
      signed: new Uint8Array(0),
    };
  });
  const [h0, h1, h2, target] = nodes.map((n) => onionHopOf(crypto, n));
  if (h0 === undefined || h1 === undefined || h2 === undefined || target === undefined) throw new Error('hops');
  // The mailbox client encodes the StoreRequest exactly as it does for the messenger; the
  // channel only keeps the bytes (what onion-channel.ts hands to its circuit).
  let request: Uint8Array | undefined;
  const client = createMailboxClient({
    crypto,
    now: Date.now,
    channel: {
      request: (_target, bytes) => {
        request = bytes;
        return Promise.reject(new Error('captured'));
      },
      close: () => undefined,
    },
  });
  await client.store(target, { account, namespace: 'inbox', body: envelope, ttlMs: MESSAGE_TTL_MS }).catch(() => undefined);
  if (request === undefined) throw new Error('the mailbox client sent nothing');
  const circuit = new OnionCircuit(crypto, [h0, h1, h2], Date.now);
  const timeoutMs = 10_000;
  const opening = circuit.wrapTargetRequest(target, request, { timeoutMs }).request.length;
  const session = openTargetSession(crypto, target, request, Date.now()).session;
  const inSession = circuit.wrap(encodeExitPayload(target, sealSessionRequest(crypto, session, request).layer), { timeoutMs }).length;
  return { opening, session: inSession };
}

export async function measureOurBytes(): Promise<OurBytesResult> {
  const crypto = createNodeCryptoProvider();
  const now = Date.now;
  const alice = party(crypto, now);
  const bob = party(crypto, now);
  try {
    const t = now();
    const handshake = initiateHandshake(crypto, alice.own, bob.bundle);
    let a: RatchetState = initSenderRatchet(crypto, {
      sharedSecret: handshake.sharedSecret,
      associatedData: handshake.associatedData,
      peerDhPublic: handshake.peerDhPublic,
      peerKemPublic: handshake.peerKemPublic,
    });
    const send = (plaintext: Uint8Array): Uint8Array => {
      const sent = ratchetEncrypt(crypto, a, plaintext, t);
      a = sent.state;
      return sent.message;
    };
    const first = send(RAW_16);
    const firstSession = encodeSessionMessage({ kind: 'prekey', handshakeInit: handshake.init, ratchetMessage: first }).length;
    const answered = respondHandshake(crypto, bob.own, { lookup: bob.lookup }, handshake.init);
    let b: RatchetState = initReceiverRatchet(crypto, {
      sharedSecret: answered.sharedSecret,
      associatedData: answered.associatedData,
      ownDhKey: answered.ownDhKey,
      ownKemKey: answered.ownKemKey,
    });
    b = ratchetDecrypt(crypto, b, first, t).state;
    // Bob answers, Alice turns, then Alice's later messages in that chain.
    const reply = ratchetEncrypt(crypto, b, RAW_16, t);
    b = reply.state;
    a = ratchetDecrypt(crypto, a, reply.message, t).state;
    b = ratchetDecrypt(crypto, b, send(RAW_16), t).state;
    const later = send(RAW_16);
    b = ratchetDecrypt(crypto, b, later, t).state;

    const chat = encodeChatContent({ messageId: newMessageId(crypto), sentAtMs: t, body: { kind: 'text', text: TEXT_16 } });
    const firstEnvelope = sealForPeer(crypto, alice.own, EMPTY_RECORD, bob.bundle, chat, t).envelope;
    const established: PeerRecord = { ...EMPTY_RECORD, current: { ratchet: a, pendingInit: undefined } };
    const laterEnvelope = sealForPeer(crypto, alice.own, established, bob.bundle, chat, t).envelope;
    const account = bob.keys.identityPublicKey;
    return {
      firstRatchet: first.length,
      laterRatchet: later.length,
      firstSession,
      firstEnvelope: firstEnvelope.length,
      laterEnvelope: laterEnvelope.length,
      firstOnion: await onionStoreSizes(crypto, account, firstEnvelope),
      laterOnion: await onionStoreSizes(crypto, account, laterEnvelope),
    };
  } finally {
    alice.db.close();
    bob.db.close();
  }
}

/**
 * End-to-end sessions with peers (DESIGN.md §5), glued from the pure e2e layer: a PQXDH-style
 * handshake starts a post-quantum Double Ratchet; every message travels as a sealed envelope to
 * the recipient's current signed prekeys, the sender's identity only inside.
 *
 * Per peer the profile database holds a PeerSessionRecord (client.proto): the current session,
 * up to MAX_ARCHIVED_SESSIONS earlier ones (still tried for incoming messages, so two people who
 * start a session at the same moment converge on one, as Signal does with its session archive),
 * and the peer's last verified bundle. A session this side started repeats its handshake init in
 * every message until the peer's first answer.
 *
 * This module does no network I/O: `seal` takes the peer's verified bundle, and the caller
 * (messenger.ts) fetches bundles and moves envelopes. Callers write the returned record in the
 * same database transaction as whatever else the message changes.
 */
import { create } from '@bufbuild/protobuf';
import { toHex } from '../crypto/bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { decodeSessionMessage, encodeSessionMessage } from '../e2e/content.ts';
import { initiateHandshake, respondHandshake, type HandshakeIdentity } from '../e2e/pqxdh.ts';
import { decodeRatchetState, encodeRatchetState, initReceiverRatchet, initSenderRatchet, ratchetDecrypt, ratchetEncrypt, type RatchetState } from '../e2e/ratchet.ts';
import { openEnvelope, sealEnvelope } from '../e2e/sealed-envelope.ts';
import { purgeExpired, trimSkipped } from '../e2e/skipped-keys.ts';
import type { PrekeyBundle } from '../identity/prekey-bundle.ts';
import { ClientSessionSchema, PeerSessionRecordSchema, type PeerSessionRecord } from '../wire/gen/samizdat/v1/client_pb.ts';
import { decodeMessage, encodeMessage } from '../wire/index.ts';
import type { ProfileDb } from './profile-db.ts';
import type { PrekeyManager } from './prekeys.ts';

/** Earlier sessions kept per peer for incoming messages: enough for a simultaneous start and a reset or two. */
export const MAX_ARCHIVED_SESSIONS = 3;
/** Largest stored PeerSessionRecord: four ratchet states of at most 256 KiB plus a bundle. */
const MAX_RECORD_BYTES = 1024 * 1024;
/** How long a handshake init we answered is remembered, to refuse a replay: the prekeys' retention. */
const HANDSHAKE_MEMORY_MS = 16 * 86_400_000;

interface Session {
  readonly ratchet: RatchetState;
  /** The handshake init to send along until the peer answers; undefined once it has. */
  readonly pendingInit: Uint8Array | undefined;
}

export interface PeerRecord {
  /** True when the stored record could not be read: it was replaced by an empty one (tell the user). */
  readonly damaged?: boolean;
  readonly current: Session | undefined;
  readonly archived: readonly Session[];
  readonly peerBundle: Uint8Array | undefined;
  readonly bundleFetchedAtMs: number;
  readonly bundleSequence: bigint;
  /** The peer's contact deposit key seed, once they sent it (they accepted us). */
  readonly peerDepositKey?: Uint8Array;
}

const EMPTY_RECORD: PeerRecord = { current: undefined, archived: [], peerBundle: undefined, bundleFetchedAtMs: 0, bundleSequence: 0n };

function decodeSession(crypto: CryptoProvider, wire: { ratchet: Uint8Array; pendingInit: Uint8Array }): Session {
  return { ratchet: decodeRatchetState(crypto, wire.ratchet), pendingInit: wire.pendingInit.length > 0 ? wire.pendingInit.slice() : undefined };
}

function encodeSession(crypto: CryptoProvider, session: Session) {
  return create(ClientSessionSchema, { ratchet: encodeRatchetState(crypto, session.ratchet), pendingInit: session.pendingInit ?? new Uint8Array(0) });
}

/**
 * The stored record of `peer` (an empty one if none). A record that cannot be read any more is
 * unrecoverable: an empty one marked `damaged` comes back, so the next message starts a new
 * handshake and the caller tells the user.
 */
export function loadPeerRecord(crypto: CryptoProvider, db: ProfileDb, peer: Uint8Array): PeerRecord {
  const bytes = db.sessions.get(peer);
  if (bytes === undefined) return EMPTY_RECORD;
  try {
    return decodePeerRecord(crypto, bytes);
  } catch (err) {
    if (isSamizdatError(err, 'MALFORMED') || isSamizdatError(err, 'TOO_LARGE') || isSamizdatError(err, 'BAD_KEY')) return { ...EMPTY_RECORD, damaged: true };
    throw err;
  }
}

function decodePeerRecord(crypto: CryptoProvider, bytes: Uint8Array): PeerRecord {
  const wire: PeerSessionRecord = decodeMessage(PeerSessionRecordSchema, bytes, { maxBytes: MAX_RECORD_BYTES });
  return {
    current: wire.current === undefined ? undefined : decodeSession(crypto, wire.current),
    archived: wire.archived.map((s) => decodeSession(crypto, s)),
    peerBundle: wire.peerBundle.length > 0 ? wire.peerBundle.slice() : undefined,
    bundleFetchedAtMs: Number(wire.bundleFetchedAtMs),
    bundleSequence: wire.bundleSequence,
    ...(wire.peerDepositKey.length === 32 ? { peerDepositKey: wire.peerDepositKey.slice() } : {}),
  };
}

/** Writes `record` for `peer` (call inside the caller's transaction). */
export function savePeerRecord(crypto: CryptoProvider, db: ProfileDb, peer: Uint8Array, record: PeerRecord): void {
  const wire = create(PeerSessionRecordSchema, {
    archived: record.archived.map((s) => encodeSession(crypto, s)),
    peerBundle: record.peerBundle ?? new Uint8Array(0),
    bundleFetchedAtMs: BigInt(record.bundleFetchedAtMs),
    bundleSequence: record.bundleSequence,
    peerDepositKey: record.peerDepositKey ?? new Uint8Array(0),
    ...(record.current === undefined ? {} : { current: encodeSession(crypto, record.current) }),
  });
  db.sessions.put(peer, encodeMessage(PeerSessionRecordSchema, wire, { maxBytes: MAX_RECORD_BYTES }));
}

/**
 * Drops the expired skipped message keys of `peer`'s stored sessions (SKIPPED_KEY_TTL_MS). The
 * ratchet drops them whenever a session is used; a conversation gone quiet would otherwise keep
 * them on disk for good. True when it saved a change.
 */
export function purgeExpiredSkippedKeys(crypto: CryptoProvider, db: ProfileDb, peer: Uint8Array, nowMs: number): boolean {
  if (db.sessions.get(peer) === undefined) return false;
  const record = loadPeerRecord(crypto, db, peer);
  if (record.damaged === true) return false;
  let changed = false;
  const purge = (session: Session): Session => {
    const skipped = purgeExpired(session.ratchet.skipped, nowMs);
    if (skipped === session.ratchet.skipped) return session;
    changed = true;
    return { ...session, ratchet: { ...session.ratchet, skipped } };
  };
  const next: PeerRecord = { ...record, current: record.current === undefined ? undefined : purge(record.current), archived: record.archived.map(purge) };
  if (changed) savePeerRecord(crypto, db, peer, next);
  return changed;
}

export interface SealedForPeer {
  readonly envelope: Uint8Array;
  /** The record to save (in the same transaction as the outgoing message). */
  readonly record: PeerRecord;
  /** True when this message starts a new session (it carries a handshake). */
  readonly startsSession: boolean;
}

/**
 * Encrypts `plaintext` for `peer` on the current session (starting one from `bundle` if there is
 * none) and seals it in an envelope to the bundle's signed prekeys.
 */
export function sealForPeer(
  crypto: CryptoProvider,
  own: HandshakeIdentity,
  record: PeerRecord,
  bundle: PrekeyBundle,
  plaintext: Uint8Array,
  nowMs: number,
): SealedForPeer {
  let session = record.current;
  const startsSession = session === undefined;
  if (session === undefined) {
    const handshake = initiateHandshake(crypto, own, bundle);
    const ratchet = initSenderRatchet(crypto, {
      sharedSecret: handshake.sharedSecret,
      associatedData: handshake.associatedData,
      peerDhPublic: handshake.peerDhPublic,
      peerKemPublic: handshake.peerKemPublic,
    });
    session = { ratchet, pendingInit: handshake.init };
  }
  const encrypted = ratchetEncrypt(crypto, session.ratchet, plaintext, nowMs);
  const content = encodeSessionMessage(
    session.pendingInit === undefined
      ? { kind: 'ratchet', ratchetMessage: encrypted.message }
      : { kind: 'prekey', handshakeInit: session.pendingInit, ratchetMessage: encrypted.message },
  );
  const envelope = sealEnvelope(crypto, {
    sender: own,
    recipientIdentity: bundle.identityKey,
    recipientX25519Prekey: bundle.signedX25519Prekey,
    recipientMlKemPrekey: bundle.signedMlKemPrekey,
    content,
  });
  const archived = startsSession && record.current !== undefined ? [record.current, ...record.archived] : record.archived;
  return { envelope, startsSession, record: { ...record, current: { ratchet: encrypted.state, pendingInit: session.pendingInit }, archived: archived.slice(0, MAX_ARCHIVED_SESSIONS) } };
}

export interface OpenedFromPeer {
  readonly sender: Uint8Array;
  /** The sender's X25519 identity key, bound to `sender` by its signature inside the envelope. */
  readonly senderX25519: Uint8Array;
  readonly plaintext: Uint8Array;
  /** The record to save for `sender` (in the same transaction as the incoming message). */
  readonly record: PeerRecord;
  /** True when the peer started a new session and an earlier one existed (tell the user). */
  readonly sessionReset: boolean;
  /** Set when a handshake was answered: remember it (`rememberHandshake`) with the message. */
  readonly handshakeDigest: Uint8Array | undefined;
}

function tryDecrypt(crypto: CryptoProvider, session: Session, message: Uint8Array, nowMs: number): { state: RatchetState; plaintext: Uint8Array } | undefined {
  try {
    return ratchetDecrypt(crypto, session.ratchet, message, nowMs);
  } catch (err) {
    if (isSamizdatError(err, 'DECRYPT_FAILED')) return undefined;
    throw err;
  }
}

/**
 * Opens an envelope from our inbox: finds the sender inside, then decrypts with the session it
 * belongs to (current first, then archived ones; a prekey message with a new handshake starts a
 * new session). DECRYPT_FAILED when no session opens it, BAD_SIGNATURE when the handshake names
 * another sender than the envelope, MALFORMED for a handshake this profile already answered
 * (a replay), UNKNOWN_PREKEY when it was sealed to a prekey we no longer hold.
 */
export function openFromPeer(
  crypto: CryptoProvider,
  db: ProfileDb,
  own: HandshakeIdentity,
  prekeys: PrekeyManager,
  envelope: Uint8Array,
  nowMs: number,
): OpenedFromPeer {
  const opened = openEnvelope(crypto, { recipient: own, lookupPrekey: (kind, id) => prekeys.lookup(kind, id), envelope });
  const sender = opened.senderIdentity;
  const message = decodeSessionMessage(opened.content);
  const record = loadPeerRecord(crypto, db, sender);
  const sessions = record.current === undefined ? record.archived : [record.current, ...record.archived];
  for (const [index, session] of sessions.entries()) {
    const result = tryDecrypt(crypto, session, message.ratchetMessage, nowMs);
    if (result === undefined) continue;
    // The peer answered on this session: it holds it, so stop sending the init. A session that
    // decrypts becomes current (the one the peer is using).
    const updated: Session = { ratchet: result.state, pendingInit: undefined };
    const others = sessions.filter((_, i) => i !== index);
    return { sender, senderX25519: opened.senderIdentityX25519, plaintext: result.plaintext, record: { ...record, current: updated, archived: others.slice(0, MAX_ARCHIVED_SESSIONS) }, sessionReset: false, handshakeDigest: undefined };
  }
  if (message.kind !== 'prekey') {
    // The sender is authenticated (the envelope's static DH), but our sessions and theirs have
    // parted (lost or damaged state on one side). The caller drops our current session so our
    // next message starts a new handshake, which brings both sides together again.
    throw new SamizdatError('DECRYPT_FAILED', 'no session with this sender opens the message', { detail: { senderParted: true, sender: toHex(sender) } });
  }
  const handshakeDigest = crypto.hash('sha256', message.handshakeInit);
  if (db.seen.has(handshakeDigest)) throw new SamizdatError('MALFORMED', 'this handshake was answered before (a replay)');
  const handshake = respondHandshake(crypto, own, { lookup: (kind, id) => prekeys.lookup(kind, id) }, message.handshakeInit);
  if (!crypto.constantTimeEqual(handshake.peerIdentity, sender)) {
    throw new SamizdatError('BAD_SIGNATURE', 'the handshake inside the envelope names another sender');
  }
  const ratchet = initReceiverRatchet(crypto, {
    sharedSecret: handshake.sharedSecret,
    associatedData: handshake.associatedData,
    ownDhKey: handshake.ownDhKey,
    ownKemKey: handshake.ownKemKey,
  });
  const result = ratchetDecrypt(crypto, ratchet, message.ratchetMessage, nowMs);
  return {
    sender,
    senderX25519: opened.senderIdentityX25519,
    plaintext: result.plaintext,
    record: { ...record, current: { ratchet: result.state, pendingInit: undefined }, archived: sessions.slice(0, MAX_ARCHIVED_SESSIONS) },
    sessionReset: sessions.length > 0 || record.damaged === true,
    handshakeDigest,
  };
}

/** The record with at most `max` skipped message keys kept per session (the newest). */
export function limitSkippedKeys(record: PeerRecord, max: number): PeerRecord {
  const limit = (session: Session): Session => {
    const skipped = trimSkipped(session.ratchet.skipped, max);
    return skipped === session.ratchet.skipped ? session : { ...session, ratchet: { ...session.ratchet, skipped } };
  };
  return { ...record, current: record.current === undefined ? undefined : limit(record.current), archived: record.archived.map(limit) };
}

/** The record after the peer's messages stopped opening: no current session, so the next send starts a handshake. */
export function partedRecord(record: PeerRecord): PeerRecord {
  if (record.current === undefined) return record;
  return { ...record, current: undefined, archived: [record.current, ...record.archived].slice(0, MAX_ARCHIVED_SESSIONS) };
}

/** Remembers an answered handshake so a replay of it cannot reset the session. */
export function rememberHandshake(db: ProfileDb, digest: Uint8Array, nowMs: number): void {
  db.seen.add(digest, nowMs + HANDSHAKE_MEMORY_MS);
}

/** A short printable name of a peer's identity key, for logs that must not carry the full key. */
export function peerTag(peer: Uint8Array): string {
  return toHex(peer.subarray(0, 4));
}

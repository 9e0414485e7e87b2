/**
 * Sending and receiving messages (DESIGN.md §5), over any SwarmMailbox (onion paths in real use):
 *
 * - send: fetch and verify the recipient's prekey bundle (cached per peer, refreshed every half
 *   rotation), encrypt on the session (starting one if needed), seal the envelope, store it in the
 *   recipient's swarm inbox, and make sure at least MIN_STORED_REPLICAS members hold it.
 * - receive: read our inbox (long-poll), open each envelope, decrypt, and store the message, the
 *   new session state and the envelope's id in one transaction; then delete the envelopes from the
 *   swarm. This profile is the account's only device, so nothing else needs them once they are on
 *   disk (with several devices, each would need its copy first; see SECURITY.md).
 *
 * Every read-modify-write of a session happens inside one database transaction, which takes the
 * write lock at once, so a `send` and a `watch` in two processes never lose each other's ratchet
 * steps. No plaintext, key or sender identity is logged.
 */
import { fromHex, toHex } from '../crypto/bytes.ts';
import { SamizdatError, isSamizdatError } from '../errors.ts';
import { decodeChatContent, encodeChatContent, newMessageId, type ChatBody } from '../e2e/content.ts';
import type { HandshakeIdentity } from '../e2e/pqxdh.ts';
import { decodeAccountId, encodeAccountId } from '../identity/account-id.ts';
import { verifyPrekeyBundle, type PrekeyBundle } from '../identity/prekey-bundle.ts';
import type { PeerTarget } from '../wire/index.ts';
import { messageId } from '../identity/message-id.ts';
import type { RetrievedMessage } from './mailbox-client.ts';
import { DEFAULT_DEPOSIT_POW_BITS, signDeposit, solveDepositPow, type DepositProofInput } from '../identity/deposit-proof.ts';
import { depositSigningKey, ownDepositSeed, policyPublished, policyToPublish } from './deposit-keys.ts';
import { BACKUP_TTL_MS, backupChecked, backupPublished, backupToPublish, restoreBackup, supersededBackups } from './owner-backup.ts';
import { PREKEY_RETENTION_MS, createPrekeyManager } from './prekeys.ts';
import { createOutboxDelivery } from './outbox-delivery.ts';
import { createProcessLiveness } from './process-liveness.ts';
import { MAX_REQUEST_SKIPPED_KEYS, acceptRequest, ensureRequest, standingOf } from './requests.ts';
import { limitSkippedKeys, loadPeerRecord, openFromPeer, partedRecord, purgeExpiredSkippedKeys, rememberHandshake, savePeerRecord, sealForPeer, type PeerRecord } from './session-crypto.ts';

import { MESSAGE_TTL_MS, MIN_STORED_REPLICAS, PREPARE_INTERVAL_MS, SKIPPED_KEY_SWEEP_INTERVAL_MS } from './messenger-api.ts';
import type { IncomingMessage, Messenger, MessengerOptions, SendResult } from './messenger-api.ts';

export { MESSAGE_TTL_MS, MIN_STORED_REPLICAS, PREPARE_INTERVAL_MS, SKIPPED_KEY_SWEEP_INTERVAL_MS } from './messenger-api.ts';
export type { IncomingMessage, Messenger, MessengerOptions, SendOptions, SendResult } from './messenger-api.ts';

/** Envelopes read from the inbox per request. */
const RETRIEVE_LIMIT = 100;

export function createMessenger(options: MessengerOptions): Messenger {
  const { crypto, now, db, keys, swarm } = options;
  const own: HandshakeIdentity = { identity: keys.identity, identityX25519: keys.mailboxX25519 };
  const prekeys = createPrekeyManager({ crypto, db, keys, now, rotationMs: options.prekeyRotationMs });
  const cursorName = (target: PeerTarget): string => `inbox@${target.peerId}`;
  /** When prepare() last did its work. */
  let preparedAt = -Infinity;
  /** When prepare() last dropped expired skipped message keys from every session. */
  let sweptAt = -Infinity;
  /** The swarm deletes of read envelopes, one after another. */
  let deleting: Promise<void> = Promise.resolve();

  const resolvePeer = (to: string): Uint8Array => {
    const contact = db.contacts.get(to);
    if (contact?.state === 'blocked') throw new SamizdatError('INVALID_ARGUMENT', `${contact.name} is blocked; unblock them first`);
    if (contact !== undefined) return contact.identityKey;
    let peer: Uint8Array;
    try {
      peer = decodeAccountId(to);
    } catch (err) {
      if (isSamizdatError(err)) throw new SamizdatError('NOT_FOUND', `"${to}" is neither a contact nor a valid Account ID (${err.message})`, { cause: err });
      throw err;
    }
    if (crypto.constantTimeEqual(peer, keys.identityPublicKey)) throw new SamizdatError('INVALID_ARGUMENT', 'cannot send a message to yourself');
    return peer;
  };

  /** The highest bundle sequence seen for `peer`, from its record and its contact entry. */
  const minSequence = (peer: Uint8Array, record: PeerRecord): bigint => {
    const contact = db.contacts.get(peer);
    const fromContact = contact?.bundleSequence ?? 0n;
    return fromContact > record.bundleSequence ? fromContact : record.bundleSequence;
  };

  const fetchBundle = async (peer: Uint8Array, min: bigint): Promise<{ bytes: Uint8Array; bundle: PrekeyBundle }> => {
    const answer = await swarm.retrieve({ account: peer, namespace: 'bundle', limit: 10 });
    let best: { bytes: Uint8Array; bundle: PrekeyBundle } | undefined;
    let lastError: unknown;
    for (const item of answer.messages) {
      try {
        const bytes = item.body; // MailboxClient.retrieve checked and removed the owner signature
        const bundle = verifyPrekeyBundle(crypto, bytes, { expectedIdentity: peer, now: now(), minSequence: min });
        if (best === undefined || bundle.sequence > best.bundle.sequence) best = { bytes: bytes.slice(), bundle };
      } catch (err) {
        lastError = err;
      }
    }
    if (best !== undefined) return best;
    if (isSamizdatError(lastError)) throw lastError; // ROLLBACK, EXPIRED, BAD_SIGNATURE: say which
    throw new SamizdatError('NOT_FOUND', "the recipient's prekey bundle is not in its swarm (the account may never have been online)");
  };

  /** The peer's bundle: the cached one while fresh, else a newly fetched one. */
  const bundleFor = async (peer: Uint8Array): Promise<{ bytes: Uint8Array; bundle: PrekeyBundle; fetchedAtMs: number }> => {
    const record = loadPeerRecord(crypto, db, peer);
    const min = minSequence(peer, record);
    if (record.peerBundle !== undefined && now() - record.bundleFetchedAtMs < options.prekeyRotationMs / 2) {
      try {
        const bundle = verifyPrekeyBundle(crypto, record.peerBundle, { expectedIdentity: peer, now: now(), minSequence: min });
        return { bytes: record.peerBundle, bundle, fetchedAtMs: record.bundleFetchedAtMs };
      } catch {
        // expired or superseded: fetch a new one
      }
    }
    return { ...(await fetchBundle(peer, min)), fetchedAtMs: now() };
  };

  /**
   * The deposit proof for `envelope`: a signature with the peer's contact deposit key when they
   * gave us one, else proof of work at `bits` (DEFAULT_DEPOSIT_POW_BITS, or what a node asked).
   */
  const proofFor = async (peer: Uint8Array, envelope: Uint8Array, depositKey: Uint8Array | undefined, bits: number): Promise<DepositProofInput> => {
    if (depositKey !== undefined) return { contactSignature: signDeposit(crypto, depositSigningKey(crypto, depositKey), peer, envelope) };
    return { powNonce: await solveDepositPow(crypto, peer, envelope, bits) };
  };

  /** Stores `envelope` in `peer`'s inbox on at least MIN_STORED_REPLICAS members. */
  const deposit = async (peer: Uint8Array, envelope: Uint8Array, depositKey: Uint8Array | undefined): Promise<number> => {
    let proof = await proofFor(peer, envelope, depositKey, options.depositPowBits ?? DEFAULT_DEPOSIT_POW_BITS);
    const request = (p: DepositProofInput) => ({ account: peer, namespace: 'inbox' as const, body: envelope, ttlMs: MESSAGE_TTL_MS, proof: p });
    let first;
    try {
      first = await swarm.store(request(proof));
    } catch (err) {
      // Our copy of their deposit key is stale (they rotated it), or the node asks more work.
      if (!isSamizdatError(err, 'PROOF_REQUIRED')) throw err;
      const bits = typeof err.detail.difficulty === 'number' ? err.detail.difficulty : DEFAULT_DEPOSIT_POW_BITS;
      proof = await proofFor(peer, envelope, undefined, bits);
      first = await swarm.store(request(proof));
    }
    let replicas = first.replicas;
    let lastError: unknown;
    // The first member answered before its copies reached the others: put the same envelope (same
    // id, so stored once per member; the same proof is good on every member) on further members
    // until enough hold it.
    for (const member of swarm.swarmOf(peer)) {
      if (replicas >= MIN_STORED_REPLICAS) break;
      if (member.peerId === first.target.peerId) continue;
      try {
        await options.mailbox.store(member, request(proof));
        replicas += 1;
      } catch (err) {
        lastError = err;
      }
    }
    if (replicas < MIN_STORED_REPLICAS) {
      throw new SamizdatError('PATH_FAILED', `only ${replicas} member(s) of the recipient's swarm hold the message (need ${MIN_STORED_REPLICAS})`, {
        cause: lastError,
        detail: { replicas },
      });
    }
    return replicas;
  };

  /** Recorded envelopes until they are stored, and the sends of ended processes (outbox.ts). */
  const outbox = createOutboxDelivery({ db, liveness: options.liveness ?? createProcessLiveness(), now, deposit, ...(options.onResumed === undefined ? {} : { onResumed: options.onResumed }) });

  const openOne = (message: RetrievedMessage): IncomingMessage | undefined =>
    db.transaction(() => {
      if (db.seen.has(message.id)) return undefined;
      const receivedAt = now();
      let result: IncomingMessage | undefined;
      try {
        const opened = openFromPeer(crypto, db, own, prekeys, message.body, receivedAt);
        const standing = standingOf(db, opened.sender, options.maxPendingRequests);
        const content = standing === 'contact' || standing === 'request' ? decodeChatContent(opened.plaintext) : undefined;
        // A first message we already have, opened again (re-deposited after its seen entry and
        // handshake memory expired, while its prekeys still exist): it must not replace the session.
        const replayedStart = content !== undefined && opened.handshakeDigest !== undefined && content.body.kind === 'text' && db.messages.get(opened.sender, toHex(content.messageId)) !== undefined;
        if (content !== undefined && !replayedStart) {
          const record = standing === 'request' ? limitSkippedKeys(opened.record, MAX_REQUEST_SKIPPED_KEYS) : opened.record;
          savePeerRecord(crypto, db, opened.sender, content.depositKey === undefined ? record : { ...record, peerDepositKey: content.depositKey });
          if (opened.handshakeDigest !== undefined) rememberHandshake(db, opened.handshakeDigest, receivedAt);
          const contact = standing === 'request' ? ensureRequest(db, opened.sender) : db.contacts.get(opened.sender);
          const known = contact?.identityX25519;
          const identityChanged = contact?.verified === true && known !== undefined && !crypto.constantTimeEqual(known, opened.senderX25519);
          if (contact !== undefined && known === undefined) db.contacts.update(contact.identityKey, { identityX25519: opened.senderX25519 });
          const base = {
            identityChanged, id: toHex(content.messageId), from: encodeAccountId(opened.sender), fromName: contact?.name ?? null, sentAt: content.sentAtMs, receivedAt, sessionReset: opened.sessionReset, request: standing === 'request' };
          if (content.body.kind === 'text') {
            // A verified contact whose keys changed: the message is kept but held (not shown) until
            // the user verifies them again; the caller only learns that something is held.
            const state = identityChanged ? 'held' : 'received';
            const fresh = db.messages.append(opened.sender, { id: base.id, direction: 'in', text: content.body.text, sentAt: content.sentAtMs, receivedAt, state });
            if (fresh) result = { ...base, text: identityChanged ? '' : content.body.text, kind: 'text' };
          } else if (content.body.kind === 'request-accepted') {
            result = { ...base, text: '', kind: 'accepted' };
          }
        }
        // Blocked, or a stranger while requests are off: dropped unread, nothing kept, nothing sent back.
      } catch (err) {
        if (!isSamizdatError(err)) throw err;
        let from: string | undefined;
        let silent = false;
        if (err.detail.senderParted === true && typeof err.detail.sender === 'string') {
          const sender = fromHex(err.detail.sender);
          const contact = db.contacts.get(sender);
          // Only a contact or a pending request has a session to mark parted and a name to report;
          // a blocked sender is dropped silently, and a stranger leaves nothing on disk.
          if (contact?.state === 'blocked') silent = true;
          else if (contact !== undefined) {
            savePeerRecord(crypto, db, sender, partedRecord(loadPeerRecord(crypto, db, sender)));
            from = encodeAccountId(sender);
          }
        }
        if (!silent) options.onUndecryptable?.(err.code, from);
      }
      // Remembered until the prekeys it could be opened with are gone: a copy stored again later
      // (anyone can re-deposit a body they saw) is skipped instead of being taken for a session
      // that parted from ours.
      db.seen.add(message.id, receivedAt + PREKEY_RETENTION_MS + options.prekeyRotationMs);
      return result;
    });

  /** Encrypts `body` for `peer`, records an outgoing text, and deposits the envelope. */
  const sendBody = async (peer: Uint8Array, body: ChatBody, onRecorded?: (id: string) => void): Promise<SendResult> => {
    const messageId = newMessageId(crypto);
    const sentAt = now();
    // Contacts (and a requester we answer: writing accepts them) get our deposit key; strangers do not.
    const known = db.contacts.get(peer);
    const depositKey = known !== undefined && known.state !== 'blocked' ? ownDepositSeed(crypto, db) : undefined;
    const plaintext = encodeChatContent({ messageId, sentAtMs: sentAt, body, ...(depositKey === undefined ? {} : { depositKey }) });
    const fetched = await bundleFor(peer);
    const verified = db.contacts.get(peer);
    if (verified?.verified === true && verified.identityX25519 !== undefined && !crypto.constantTimeEqual(verified.identityX25519, fetched.bundle.identityX25519)) {
      // Held: the keys changed since the user verified them. Only a new verification releases it.
      throw new SamizdatError('VERIFICATION_FAILED', `${verified.name}'s safety code has changed since you verified it; check it again with \`samizdat contact verify ${verified.name}\` before writing`);
    }
    const id = toHex(messageId);
    let reset = false;
    const sealed = db.transaction(() => {
      const stored = loadPeerRecord(crypto, db, peer);
      const record: PeerRecord = {
        ...stored,
        peerBundle: fetched.bytes,
        bundleFetchedAtMs: fetched.fetchedAtMs,
        bundleSequence: fetched.bundle.sequence > stored.bundleSequence ? fetched.bundle.sequence : stored.bundleSequence,
      };
      const result = sealForPeer(crypto, own, record, fetched.bundle, plaintext, sentAt);
      reset = stored.damaged === true;
      // The ratchet state is on disk before the envelope leaves: a crash never reuses a key.
      savePeerRecord(crypto, db, peer, result.record);
      const contact = db.contacts.get(peer);
      if (contact !== undefined && fetched.bundle.sequence > contact.bundleSequence) db.contacts.update(peer, { bundleSequence: fetched.bundle.sequence });
      if (contact !== undefined && contact.identityX25519 === undefined) db.contacts.update(peer, { identityX25519: fetched.bundle.identityX25519 });
      // Writing to someone whose request is pending accepts it.
      if (contact?.state === 'request') db.contacts.update(peer, { state: 'accepted' });
      if (body.kind === 'text') db.messages.append(peer, { id, direction: 'out', text: body.text, sentAt, receivedAt: sentAt, state: 'sending' });
      // Every envelope (a text, or the note that we accepted a request) waits in the outbox until
      // it is stored, so a process that dies meanwhile leaves it to the next one.
      db.outbox.put({ peer, id, envelope: result.envelope, depositKey: result.record.peerDepositKey, owner: outbox.owner, sealedAtMs: sentAt });
      return result;
    });
    if (body.kind === 'text') onRecorded?.(id);
    const replicas = await outbox.deliver(peer, id, sealed.envelope, sealed.record.peerDepositKey);
    return { id, replicas, sessionReset: reset };
  };

  return {
    prekeys,
    async prepare(prepareOptions = {}) {
      if (prepareOptions.force !== true && now() - preparedAt < PREPARE_INTERVAL_MS) return;
      await outbox.resumeOrphaned();
      if (now() - sweptAt >= SKIPPED_KEY_SWEEP_INTERVAL_MS) {
        // Skipped message keys expire with the TTL also in conversations that went quiet.
        db.transaction(() => {
          for (const contact of db.contacts.list()) purgeExpiredSkippedKeys(crypto, db, contact.identityKey, now());
        });
        sweptAt = now();
      }
      prekeys.rotateIfDue();
      const toPublish = prekeys.bundleToPublish();
      if (toPublish !== undefined) {
        await swarm.store({ account: keys.identityPublicKey, namespace: 'bundle', body: toPublish.body, ttlMs: toPublish.ttlMs, identityKey: keys.identity });
        prekeys.published(toPublish.sequence);
      }
      // After a restore: take back the blocks and settings the account backed up in its swarm.
      if (!backupChecked(db)) {
        const items = await swarm.retrieve({ account: keys.identityPublicKey, namespace: 'config', identityKey: keys.identity, limit: 256 });
        restoreBackup(crypto, db, keys, items.messages.map((m) => m.body));
      }
      const backup = backupToPublish(crypto, db, keys, now());
      if (backup !== undefined) {
        const stored = await swarm.store({ account: keys.identityPublicKey, namespace: 'config', body: backup.body, ttlMs: BACKUP_TTL_MS, identityKey: keys.identity });
        backupPublished(db, backup.state, now());
        // Older backups are superseded: delete them so the config namespace stays small.
        const items = await swarm.retrieve({ account: keys.identityPublicKey, namespace: 'config', identityKey: keys.identity, limit: 256 });
        const old = supersededBackups(crypto, keys, items.messages, stored.id);
        if (old.length > 0) await swarm.delete({ account: keys.identityPublicKey, namespace: 'config', ids: old, identityKey: keys.identity });
      }
      const policy = policyToPublish(crypto, db, now());
      if (policy !== undefined) {
        await swarm.store({ account: keys.identityPublicKey, namespace: 'config', body: policy.body, ttlMs: policy.ttlMs, identityKey: keys.identity });
        policyPublished(db, policy.state, now());
      }
      preparedAt = now();
    },

    async send(to, text, sendOptions = {}) {
      return await sendBody(resolvePeer(to), { kind: 'text', text }, sendOptions.onRecorded);
    },

    async accept(ref, name) {
      const contact = acceptRequest(db, ref, name);
      await sendBody(contact.identityKey, { kind: 'request-accepted' });
      return contact;
    },

    async receive(receiveOptions = {}) {
      const answer = await swarm.retrieve({
        account: keys.identityPublicKey,
        namespace: 'inbox',
        identityKey: keys.identity,
        limit: RETRIEVE_LIMIT,
        afterFor: (target) => db.settings.getCursor(cursorName(target)) ?? 0n,
        ...(receiveOptions.waitMs === undefined ? {} : { waitMs: receiveOptions.waitMs }),
        ...(receiveOptions.signal === undefined ? {} : { signal: receiveOptions.signal }),
      });
      const incoming: IncomingMessage[] = [];
      // Each envelope is known by the ID of its content, computed here: a node that serves a body
      // again under another ID (or none) cannot make us open it twice, which would fail on the used
      // message key and be taken for a peer that lost its session.
      const messages = answer.messages.map((m) => ({ ...m, id: messageId(crypto, 'inbox', keys.identityPublicKey, m.body) }));
      // One transaction for the batch (each envelope a savepoint inside it): one disk sync, not one per message.
      db.transaction(() => {
        db.seen.prune(now());
        let cursor: bigint | undefined;
        for (const message of messages) {
          const opened = openOne(message);
          if (opened !== undefined) incoming.push(opened);
          if (cursor === undefined || message.cursor > cursor) cursor = message.cursor;
        }
        if (cursor !== undefined) db.settings.setCursor(cursorName(answer.target), cursor);
      });
      if (messages.length > 0) {
        // Every envelope read is now on disk (or known to be unreadable): the swarm can drop it.
        // Kept until its TTL if this fails; the seen ids skip it next time.
        const ids = messages.map((m) => m.id);
        const removing = deleting.then(() => swarm.delete({ account: keys.identityPublicKey, namespace: 'inbox', ids, identityKey: keys.identity }).then(
          () => undefined,
          () => undefined,
        ));
        deleting = removing;
        // A long-poll loop (watch) goes straight back to waiting while the delete travels; a
        // one-shot read (inbox) deletes before it returns, so nothing is left when the process ends.
        if (receiveOptions.waitMs === undefined) await removing;
      }
      return incoming;
    },
  };
}

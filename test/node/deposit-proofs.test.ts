/**
 * Deposit proofs on real nodes on loopback (issue 6): an inbox deposit needs proof of work at the
 * node's difficulty or a contact signature made with the recipient's current deposit key; the
 * recipient's policy (an owner item in its config) can refuse strangers; strangers' deposits meet
 * a per-mailbox bucket that contacts never touch; policies are checked on store and on replica.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { createMailboxClient, type MailboxClient } from '../../src/client/mailbox-client.ts';
import { concatBytes } from '../../src/crypto/bytes.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import type { PrivateKey } from '../../src/crypto/provider.ts';
import { isSamizdatError, type ErrorCode } from '../../src/errors.ts';
import { MAX_DEPOSIT_POW_BITS, checkDepositPow, signDeposit, solveDepositPow } from '../../src/identity/deposit-proof.ts';
import { MAILBOX_POLICY_TAG, encodeMailboxPolicy } from '../../src/identity/mailbox-policy.ts';
import { signOwnerItem } from '../../src/identity/owner-item.ts';
import { signOwnerAuth, storeRequestDigest } from '../../src/identity/request-auth.ts';
import type { Host } from '../../src/node/host.ts';
import { messageId } from '../../src/node/mailbox-store.ts';
import { errorFromReply } from '../../src/wire/index.ts';
import type { RpcSession } from '../../src/wire/index.ts';
import {
  DepositProofSchema,
  MailboxResponseSchema,
  OwnerAuthSchema,
  ProofRequiredSchema,
  ReplicaItemSchema,
  ReplicaPushSchema,
  ReplicaRequestSchema,
  StoreRequestSchema,
} from '../../src/wire/gen/samizdat/v1/mailbox_pb.ts';
import type { DepositProof, MailboxResponse } from '../../src/wire/gen/samizdat/v1/mailbox_pb.ts';
import { mailboxRequest, rawCall, rawSession, startClientHost, startCluster, type Cluster, type RunningNode } from './mailbox-cluster.ts';

const crypto = createNodeCryptoProvider();
const TTL = 3_600_000;
/** A low difficulty keeps the tests fast; the rules are the same at any difficulty. */
const BITS = 8;
/** A stranger bucket this small shows its effect in a few deposits. */
const STRANGER_BURST = 3;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function codeOf(err: unknown): ErrorCode | undefined {
  return isSamizdatError(err) ? err.code : undefined;
}

describe('deposit proofs in the mailbox client', () => {
  const account = crypto.generateKey('ed25519').publicKey;
  /** A channel that answers every request with `response`. */
  const answering = (response: MailboxResponse): MailboxClient =>
    createMailboxClient({
      crypto,
      now: Date.now,
      channel: { request: () => Promise.resolve(toBinary(MailboxResponseSchema, response)), close: () => undefined },
    });
  const target = { peerId: 'node', addresses: [] };

  it('turns a proof_required answer into PROOF_REQUIRED with the difficulty, and an absurd one into MALFORMED', async () => {
    const ask = (powBits: number) =>
      answering(create(MailboxResponseSchema, { response: { case: 'proofRequired', value: create(ProofRequiredSchema, { powBits }) } })).store(target, {
        account,
        namespace: 'inbox',
        body: utf8('x'),
        ttlMs: TTL,
      });
    await assert.rejects(ask(18), (e: unknown) => isSamizdatError(e, 'PROOF_REQUIRED') && e.detail['difficulty'] === 18 && e.detail['remote'] === true);
    await assert.rejects(ask(MAX_DEPOSIT_POW_BITS + 1), (e: unknown) => isSamizdatError(e, 'MALFORMED'));
  });

  it('refuses a proof outside inbox deposits and a proof of the wrong shape', async () => {
    const client = answering(create(MailboxResponseSchema, {}));
    const owner = crypto.generateKey('ed25519');
    const config = { account: owner.publicKey, namespace: 'config' as const, body: utf8('x'), ttlMs: TTL, identityKey: owner, proof: { powNonce: new Uint8Array(8) } };
    await assert.rejects(client.store(target, config), (e: unknown) => isSamizdatError(e, 'INVALID_ARGUMENT'));
    const odd = { powNonce: 'not bytes' } as unknown as { powNonce: Uint8Array };
    await assert.rejects(client.store(target, { account, namespace: 'inbox', body: utf8('x'), ttlMs: TTL, proof: odd }), (e: unknown) => isSamizdatError(e, 'INVALID_ARGUMENT'));
  });
});

describe('deposit proofs on a real node', () => {
  let cluster: Cluster;
  let node: RunningNode;
  let clientHost: Host;
  let client: MailboxClient;
  let session: RpcSession;

  before(async () => {
    cluster = await startCluster(crypto, 2, {
      limits: { depositPowBits: BITS, strangerDepositRate: { ratePerSecond: 0.001, burst: STRANGER_BURST }, clientRate: { ratePerSecond: 1_000, burst: 1_000 } },
    });
    node = cluster.node(0);
    clientHost = await startClientHost(crypto);
    client = createMailboxClient({ transport: clientHost.transport, crypto, now: Date.now });
    session = await rawSession(clientHost, node.target);
  });

  after(async () => {
    session.close();
    client.close();
    await clientHost.stop();
    await cluster.close();
  });

  const deposit = (account: Uint8Array, body: Uint8Array, proof?: { powNonce: Uint8Array } | { contactSignature: Uint8Array }, at = node) =>
    client.store(at.target, { account, namespace: 'inbox', body, ttlMs: TTL, ...(proof === undefined ? {} : { proof }) });

  const withPow = async (account: Uint8Array, body: Uint8Array) => ({ powNonce: await solveDepositPow(crypto, account, body, BITS) });

  const publish = (owner: PrivateKey, depositKey: PrivateKey, sequence: bigint, refuseStrangers = false) =>
    client.store(node.target, {
      account: owner.publicKey,
      namespace: 'config',
      body: encodeMailboxPolicy({ contactDepositKey: depositKey.publicKey, refuseStrangers, sequence }),
      ttlMs: TTL,
      identityKey: owner,
    });

  const rejects = async (work: Promise<unknown>, code: ErrorCode): Promise<unknown> => {
    let caught: unknown;
    await assert.rejects(work, (err: unknown) => {
      caught = err;
      assert.equal(codeOf(err), code, String(err));
      return true;
    });
    return caught;
  };

  it('a deposit without a proof gets PROOF_REQUIRED with the difficulty; with the work it is stored', async () => {
    const account = crypto.generateKey('ed25519').publicKey;
    const body = utf8('hello stranger');
    const err = await rejects(deposit(account, body), 'PROOF_REQUIRED');
    assert.ok(isSamizdatError(err) && err.detail['difficulty'] === BITS && err.detail['remote'] === true);
    assert.equal(node.store.usage(account, 'inbox').messages, 0);

    // Too little work is PROOF_REQUIRED too.
    let weak = crypto.randomBytes(8);
    while (checkDepositPow(crypto, account, body, weak, BITS)) weak = crypto.randomBytes(8);
    await rejects(deposit(account, body, { powNonce: weak }), 'PROOF_REQUIRED');
    // A proof for another body does not carry over.
    const other = await withPow(account, utf8('another body'));
    if (!checkDepositPow(crypto, account, body, other.powNonce, BITS)) await rejects(deposit(account, body, other), 'PROOF_REQUIRED');

    const stored = await deposit(account, body, await withPow(account, body));
    assert.equal(stored.replicas, 2);
    assert.equal(node.store.usage(account, 'inbox').messages, 1);
  });

  it('strangers meet the per-mailbox bucket; other mailboxes have their own', async () => {
    const account = crypto.generateKey('ed25519').publicKey;
    for (let i = 0; i < STRANGER_BURST; i++) await deposit(account, utf8(`s${i}`), await withPow(account, utf8(`s${i}`)));
    const err = await rejects(deposit(account, utf8('one too many'), await withPow(account, utf8('one too many'))), 'RATE_LIMITED');
    assert.ok(isSamizdatError(err) && (err.retryAfterMs ?? 0) > 0);
    const elsewhere = crypto.generateKey('ed25519').publicKey;
    await deposit(elsewhere, utf8('fine'), await withPow(elsewhere, utf8('fine')));
    // Invalid proofs never drain a bucket: the other mailbox still has all but one token.
    for (let i = 0; i < 5; i++) await rejects(deposit(elsewhere, utf8(`bad${i}`)), 'PROOF_REQUIRED');
    await deposit(elsewhere, utf8('still fine'), await withPow(elsewhere, utf8('still fine')));
  });

  it('contact signatures: valid ones pass without work and without the stranger bucket; forged and old ones do not', async () => {
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    const depositKey = crypto.generateKey('ed25519');
    // No policy yet: a contact signature cannot be checked, so strangers' rules apply.
    await rejects(deposit(account, utf8('early'), { contactSignature: signDeposit(crypto, depositKey, account, utf8('early')) }), 'PROOF_REQUIRED');
    await publish(owner, depositKey, 1n);

    // Drain the stranger bucket first: contacts must not care.
    for (let i = 0; i < STRANGER_BURST; i++) await deposit(account, utf8(`s${i}`), await withPow(account, utf8(`s${i}`)));
    await rejects(deposit(account, utf8('stranger'), await withPow(account, utf8('stranger'))), 'RATE_LIMITED');
    for (let i = 0; i < 10; i++) {
      const body = utf8(`from a contact ${i}`);
      await deposit(account, body, { contactSignature: signDeposit(crypto, depositKey, account, body) });
    }
    assert.equal(node.store.usage(account, 'inbox').messages, STRANGER_BURST + 10);
    // The other member got the policy by replication and checks contact signatures too.
    const there = utf8('at the other member');
    await deposit(account, there, { contactSignature: signDeposit(crypto, depositKey, account, there) }, cluster.node(1));

    const forger = crypto.generateKey('ed25519');
    const forged = utf8('forged');
    await rejects(deposit(account, forged, { contactSignature: signDeposit(crypto, forger, account, forged) }), 'PROOF_REQUIRED');
    // A signature for another body or another account does not open this deposit.
    await rejects(deposit(account, forged, { contactSignature: signDeposit(crypto, depositKey, account, utf8('other')) }), 'PROOF_REQUIRED');

    // The owner rotates the key (after a block): signatures with the old key stop working.
    const rotated = crypto.generateKey('ed25519');
    await publish(owner, rotated, 2n);
    const late = utf8('from a blocked contact');
    await rejects(deposit(account, late, { contactSignature: signDeposit(crypto, depositKey, account, late) }), 'PROOF_REQUIRED');
    await deposit(account, late, { contactSignature: signDeposit(crypto, rotated, account, late) });

    // An older policy cannot come back: ROLLBACK at the owner's store, and the newest still applies.
    await rejects(publish(owner, depositKey, 1n), 'ROLLBACK');
    await rejects(publish(owner, depositKey, 2n), 'ROLLBACK');
    const again = utf8('old key again');
    await rejects(deposit(account, again, { contactSignature: signDeposit(crypto, depositKey, account, again) }), 'PROOF_REQUIRED');
  });

  it('refuse_strangers: REFUSED for deposits with work or none, contacts still pass', async () => {
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    const depositKey = crypto.generateKey('ed25519');
    await publish(owner, depositKey, 1n, true);
    const body = utf8('let me in');
    await rejects(deposit(account, body, await withPow(account, body)), 'REFUSED');
    await rejects(deposit(account, body), 'REFUSED');
    await rejects(deposit(account, body, { contactSignature: signDeposit(crypto, crypto.generateKey('ed25519'), account, body) }), 'REFUSED');
    await deposit(account, body, { contactSignature: signDeposit(crypto, depositKey, account, body) });
    // Requests on again (a higher sequence): strangers with work get through.
    await publish(owner, depositKey, 2n, false);
    const next = utf8('now?');
    await deposit(account, next, await withPow(account, next));
  });

  it('a policy not signed by the owner, or malformed, is refused on store and on replica', async () => {
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    const payload = encodeMailboxPolicy({ contactDepositKey: crypto.generateKey('ed25519').publicKey, refuseStrangers: true, sequence: 5n });
    const storeRaw = async (body: Uint8Array) => {
      const ttlMs = BigInt(TTL);
      const auth = create(OwnerAuthSchema, signOwnerAuth(crypto, owner, { method: 'store', namespace: 'config', account, requestDigest: storeRequestDigest(crypto, body, ttlMs), timestampMs: Date.now() }));
      const response = await rawCall(session, mailboxRequest({ case: 'store', value: create(StoreRequestSchema, { account, namespace: 'config', body, ttlMs, auth }) }));
      assert.equal(response.response.case, 'error');
      return response.response.case === 'error' ? errorFromReply(response.response.value).code : undefined;
    };
    const forged = signOwnerItem(crypto, crypto.generateKey('ed25519'), 'config', payload);
    const broken = signOwnerItem(crypto, owner, 'config', concatBytes(MAILBOX_POLICY_TAG, new Uint8Array([0xff, 0xff, 0xff])));
    assert.equal(await storeRaw(forged), 'BAD_SIGNATURE');
    assert.equal(await storeRaw(broken), 'MALFORMED');

    const push = async (body: Uint8Array): Promise<number> => {
      const item = create(ReplicaItemSchema, { account, namespace: 'config', id: messageId(crypto, 'config', account, body), body, expiresAtMs: BigInt(Date.now() + TTL) });
      const request = create(ReplicaRequestSchema, { request: { case: 'push', value: create(ReplicaPushSchema, { items: [item] }) } });
      const response = await cluster.node(1).replication.call(node.target, request);
      assert.equal(response.response.case, 'accepted');
      return response.response.case === 'accepted' ? response.response.value : -1;
    };
    assert.equal(await push(forged), 0);
    assert.equal(await push(broken), 0);
    assert.equal(node.store.usage(account, 'config').messages, 0);
    // Nothing took effect: strangers with work still get in.
    const body = utf8('still open');
    await deposit(account, body, await withPow(account, body));
    // The genuine item replicates, and the policy applies at once.
    assert.equal(await push(signOwnerItem(crypto, owner, 'config', payload)), 1);
    await rejects(deposit(account, utf8('closed now'), await withPow(account, utf8('closed now'))), 'REFUSED');
  });

  it('random bytes in proofs get typed answers and the node keeps serving', async () => {
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    await publish(owner, crypto.generateKey('ed25519'), 1n);
    const allowed = new Set<string>(['MALFORMED', 'RATE_LIMITED']);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('powNonce' as const, 'contactSignature' as const, undefined), fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), async (kind, bytes, body) => {
        const proof: DepositProof = create(DepositProofSchema, kind === undefined ? {} : { proof: { case: kind, value: bytes } });
        const value = create(StoreRequestSchema, { account, namespace: 'inbox', body, ttlMs: BigInt(TTL), proof });
        const response = await rawCall(session, mailboxRequest({ case: 'store', value }));
        switch (response.response.case) {
          case 'proofRequired':
            assert.equal(response.response.value.powBits, BITS);
            break;
          case 'store':
            assert.ok(kind === 'powNonce' && checkDepositPow(crypto, account, body, bytes, BITS), 'only real work is stored');
            break;
          case 'error':
            assert.ok(allowed.has(errorFromReply(response.response.value).code), errorFromReply(response.response.value).message);
            break;
          default:
            assert.fail(`unexpected answer ${String(response.response.case)}`);
        }
      }),
      { numRuns: 150 },
    );
    const body = utf8('a good deposit after the noise');
    const other = crypto.generateKey('ed25519').publicKey;
    await deposit(other, body, await withPow(other, body));
  });
});

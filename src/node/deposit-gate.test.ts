import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import type { PrivateKey } from '../crypto/provider.ts';
import { isSamizdatError } from '../errors.ts';
import { signDeposit, solveDepositPow } from '../identity/deposit-proof.ts';
import { encodeMailboxPolicy } from '../identity/mailbox-policy.ts';
import { signOwnerItem } from '../identity/owner-item.ts';
import { DepositProofSchema } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import type { DepositProof } from '../wire/gen/samizdat/v1/mailbox_pb.ts';
import { createDepositGate } from './deposit-gate.ts';
import type { DepositGate } from './deposit-gate.ts';
import { openMailboxStore } from './mailbox-store.ts';
import type { MailboxStore } from './mailbox-store.ts';

const crypto = createNodeCryptoProvider();
const BITS = 2;
const HOUR = 3_600_000;

function setup(maxMailboxes?: number): { gate: DepositGate; store: MailboxStore; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  const now = (): number => clock.t;
  const store = openMailboxStore({ path: ':memory:', crypto, now });
  const limits = { powBits: BITS, strangerRate: { ratePerSecond: 1, burst: 2 }, contactRate: { ratePerSecond: 1, burst: 3 } };
  const gate = createDepositGate({ store, crypto, now, limits, ...(maxMailboxes === undefined ? {} : { maxMailboxes }) });
  return { gate, store, clock };
}

async function pow(account: Uint8Array, body: Uint8Array): Promise<DepositProof> {
  return create(DepositProofSchema, { proof: { case: 'powNonce', value: await solveDepositPow(crypto, account, body, BITS) } });
}

function contact(key: PrivateKey, account: Uint8Array, body: Uint8Array): DepositProof {
  return create(DepositProofSchema, { proof: { case: 'contactSignature', value: signDeposit(crypto, key, account, body) } });
}

function putPolicy(store: MailboxStore, owner: PrivateKey, depositKey: PrivateKey, sequence: bigint, ttlMs = HOUR, refuseStrangers = false): void {
  const payload = encodeMailboxPolicy({ contactDepositKey: depositKey.publicKey, refuseStrangers, sequence });
  store.put(owner.publicKey, 'config', signOwnerItem(crypto, owner, 'config', payload), ttlMs);
}

const code = (run: () => void): string | undefined => {
  try {
    run();
    return undefined;
  } catch (err) {
    return isSamizdatError(err) ? err.code : String(err);
  }
};

describe('deposit gate', () => {
  it('refills the stranger bucket with time', async () => {
    const { gate, clock } = setup();
    const account = crypto.generateKey('ed25519').publicKey;
    const bodies = [1, 2, 3, 4].map((i) => new Uint8Array([i]));
    const proofs = await Promise.all(bodies.map((b) => pow(account, b)));
    const admit = (i: number) => code(() => gate.admit(account, bodies[i] ?? assert.fail(), proofs[i]));
    assert.equal(admit(0), undefined);
    assert.equal(admit(1), undefined);
    assert.equal(admit(2), 'RATE_LIMITED');
    clock.t += 1_000;
    assert.equal(admit(2), undefined);
    assert.equal(admit(3), 'RATE_LIMITED');
  });

  it('keeps at most maxMailboxes buckets (least recently used goes)', async () => {
    const { gate } = setup(2);
    const [a, b, c] = [0, 1, 2].map(() => crypto.generateKey('ed25519').publicKey) as [Uint8Array, Uint8Array, Uint8Array];
    const drain = async (account: Uint8Array): Promise<string | undefined> => {
      let last: string | undefined;
      for (let i = 0; i < 3; i++) {
        const body = crypto.randomBytes(8);
        const proof = await pow(account, body);
        last = code(() => gate.admit(account, body, proof));
      }
      return last;
    };
    assert.equal(await drain(a), 'RATE_LIMITED');
    assert.equal(await drain(b), 'RATE_LIMITED');
    assert.equal(await drain(c), 'RATE_LIMITED');
    // a was the least recently used of three: evicted, so it starts full again.
    const body = crypto.randomBytes(8);
    const proof = await pow(a, body);
    assert.equal(code(() => gate.admit(a, body, proof)), undefined);
  });

  it('follows the config: new policies at once, the highest sequence wins, an expired one stops counting', () => {
    const { gate, store, clock } = setup();
    const owner = crypto.generateKey('ed25519');
    const account = owner.publicKey;
    const [k1, k2] = [crypto.generateKey('ed25519'), crypto.generateKey('ed25519')];
    const body = new Uint8Array([9]);
    assert.equal(gate.policyOf(account), undefined);
    store.put(account, 'config', signOwnerItem(crypto, owner, 'config', new TextEncoder().encode('an encrypted backup')), HOUR);
    assert.equal(gate.policyOf(account), undefined, 'other config items are not policies');
    putPolicy(store, owner, k1, 1n, 10 * HOUR);
    assert.equal(code(() => gate.admit(account, body, contact(k1, account, body))), undefined);
    putPolicy(store, owner, k2, 2n, HOUR);
    assert.equal(gate.policyOf(account)?.sequence, 2n);
    assert.equal(code(() => gate.admit(account, body, contact(k1, account, body))), 'PROOF_REQUIRED');
    assert.equal(code(() => gate.admit(account, body, contact(k2, account, body))), undefined);
    assert.equal(code(() => gate.checkOwnerPolicy(account, encodeMailboxPolicy({ contactDepositKey: k1.publicKey, refuseStrangers: false, sequence: 1n }))), 'ROLLBACK');
    // Sequence 2 expires (not yet swept: the digest is unchanged); sequence 1 applies again.
    clock.t += HOUR + 1;
    assert.equal(gate.policyOf(account)?.sequence, 1n);
    assert.equal(code(() => gate.admit(account, body, contact(k1, account, body))), undefined);
  });

  it('a forged policy slipped into storage is ignored', () => {
    const { gate, store } = setup();
    const owner = crypto.generateKey('ed25519');
    const forger = crypto.generateKey('ed25519');
    const payload = encodeMailboxPolicy({ contactDepositKey: forger.publicKey, refuseStrangers: true, sequence: 9n });
    store.put(owner.publicKey, 'config', signOwnerItem(crypto, forger, 'config', payload), HOUR);
    assert.equal(gate.policyOf(owner.publicKey), undefined);
  });

  it('depositPowBits 0 lets everything in', () => {
    const store = openMailboxStore({ path: ':memory:', crypto, now: Date.now });
    const limit = { ratePerSecond: 1, burst: 1 };
    const gate = createDepositGate({ store, crypto, now: Date.now, limits: { powBits: 0, strangerRate: limit, contactRate: limit } });
    const account = crypto.generateKey('ed25519').publicKey;
    for (let i = 0; i < 5; i++) gate.admit(account, new Uint8Array([i]), undefined);
    assert.equal(code(() => createDepositGate({ store, crypto, now: Date.now, limits: { powBits: 33, strangerRate: limit, contactRate: limit } })), 'INVALID_ARGUMENT');
  });
});

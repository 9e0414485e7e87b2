import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { isSamizdatError } from '../errors.ts';
import {
  MAX_DEPOSIT_POW_BITS,
  MAX_POW_NONCE_BYTES,
  MIN_POW_NONCE_BYTES,
  checkDepositPow,
  depositPowHash,
  leadingZeroBits,
  signDeposit,
  solveDepositPow,
  verifyDeposit,
} from './deposit-proof.ts';

const crypto = createNodeCryptoProvider();
const account = crypto.generateKey('ed25519').publicKey;
const body = new TextEncoder().encode('a sealed envelope');

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    assert.equal(leadingZeroBits(new Uint8Array([0x80])), 0);
    assert.equal(leadingZeroBits(new Uint8Array([0x01])), 7);
    assert.equal(leadingZeroBits(new Uint8Array([0, 0x20, 0xff])), 10);
    assert.equal(leadingZeroBits(new Uint8Array(4)), 32);
  });

  it('a solved nonce checks at its difficulty, for this account and body only', async () => {
    const nonce = await solveDepositPow(crypto, account, body, 12);
    assert.equal(nonce.length, MIN_POW_NONCE_BYTES);
    assert.ok(leadingZeroBits(depositPowHash(crypto, account, body, nonce)) >= 12);
    assert.equal(checkDepositPow(crypto, account, body, nonce, 12), true);
    assert.equal(checkDepositPow(crypto, account, body, nonce, 0), true);
    const otherBody = new TextEncoder().encode('another envelope');
    const otherAccount = crypto.generateKey('ed25519').publicKey;
    // A nonce for one deposit is (with overwhelming probability) no proof for another at 12 bits.
    const elsewhere = [checkDepositPow(crypto, account, otherBody, nonce, 12), checkDepositPow(crypto, otherAccount, body, nonce, 12)];
    assert.ok(elsewhere.filter(Boolean).length < 2);
  });

  it('the check agrees with the hash for every difficulty', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: MIN_POW_NONCE_BYTES, maxLength: MAX_POW_NONCE_BYTES }), fc.integer({ min: 0, max: 12 }), (nonce, bits) => {
        const zeros = leadingZeroBits(depositPowHash(crypto, account, body, nonce));
        assert.equal(checkDepositPow(crypto, account, body, nonce, bits), zeros >= bits);
      }),
      { numRuns: 300 },
    );
  });

  it('nonces of the wrong length are MALFORMED, absurd difficulties INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (nonce) => {
        if (nonce.length >= MIN_POW_NONCE_BYTES && nonce.length <= MAX_POW_NONCE_BYTES) return;
        assert.throws(() => checkDepositPow(crypto, account, body, nonce, 4), (e) => isSamizdatError(e, 'MALFORMED'));
      }),
    );
    const nonce = new Uint8Array(8);
    for (const bad of [-1, 1.5, MAX_DEPOSIT_POW_BITS + 1, Number.NaN]) {
      assert.throws(() => checkDepositPow(crypto, account, body, nonce, bad), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
    }
  });

  it('the search is bounded, cancellable and yields to the event loop', async () => {
    await assert.rejects(solveDepositPow(crypto, account, body, 30, { maxIterations: 1_000 }), (e: unknown) => {
      assert.ok(isSamizdatError(e, 'PROOF_REQUIRED'));
      assert.equal(e.detail['reason'], 'gave-up');
      return true;
    });
    const controller = new AbortController();
    let yields = 0;
    const search = solveDepositPow(crypto, account, body, 30, {
      signal: controller.signal,
      yieldEvery: 256,
      yieldToEventLoop: async () => {
        yields += 1;
        if (yields === 3) controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 0));
      },
    });
    await assert.rejects(search, (e: unknown) => isSamizdatError(e, 'PROOF_REQUIRED') && e.detail['reason'] === 'cancelled');
    assert.equal(yields, 3);
    // A timer keeps firing while a default search runs: the loop is not blocked.
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    await assert.rejects(solveDepositPow(crypto, account, body, 30, { maxIterations: 60_000 }));
    clearInterval(timer);
    assert.ok(ticks > 0, 'timers ran during the search');
  });
});

describe('contact signatures', () => {
  const depositKey = crypto.generateKey('ed25519');

  it('verify for the account and body they were made for, with the key that made them', () => {
    const signature = signDeposit(crypto, depositKey, account, body);
    assert.equal(verifyDeposit(crypto, depositKey.publicKey, account, body, signature), true);
    assert.equal(verifyDeposit(crypto, depositKey.publicKey, account, new Uint8Array([1]), signature), false);
    assert.equal(verifyDeposit(crypto, depositKey.publicKey, crypto.generateKey('ed25519').publicKey, body, signature), false);
    assert.equal(verifyDeposit(crypto, crypto.generateKey('ed25519').publicKey, account, body, signature), false);
    // A rotated key (the owner blocked someone) no longer opens the mailbox.
    const rotated = crypto.generateKey('ed25519');
    assert.equal(verifyDeposit(crypto, rotated.publicKey, account, body, signature), false);
  });

  it('random signature and key bytes are false, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 }), (signature, key) => {
        assert.equal(verifyDeposit(crypto, key, account, body, signature), false);
      }),
    );
  });

  it('refuses a key that is not Ed25519', () => {
    assert.throws(() => signDeposit(crypto, crypto.generateKey('x25519'), account, body), (e) => isSamizdatError(e, 'INVALID_ARGUMENT'));
  });
});

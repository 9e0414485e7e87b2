/**
 * The `messaging` suite's peer: Signal's reference implementation, @signalapp/libsignal-client
 * (Rust through N-API: PQXDH with ML-KEM-1024, the Double Ratchet with the SPQR post-quantum
 * ratchet), with in-memory stores. Ratchet throughput, first-message (handshake) CPU time and
 * ciphertext sizes, measured the same way as ours in bench/messaging-ours.ts.
 */
import type * as Libsignal from '@signalapp/libsignal-client';

type Lib = typeof Libsignal;

/** Runs `fn` for about `ms` after a warm-up; operations per second. */
async function asyncOpsPerSecond(fn: () => Promise<unknown>, ms: number): Promise<number> {
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) await fn();
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 16; i++) await fn();
    count += 16;
  }
  return (count * 1000) / (performance.now() - start);
}

/**
 * Microseconds per call of `fn`: `count / 10` warm-up calls, then `count` timed ones (so `fn` is
 * called exactly `count + count / 10` times: callers that consume prepared inputs rely on it).
 */
export async function usPerOp(count: number, fn: (i: number) => unknown): Promise<number> {
  const warm = Math.ceil(count / 10);
  for (let i = 0; i < warm; i++) await fn(i);
  const start = performance.now();
  for (let i = warm; i < warm + count; i++) await fn(i);
  return ((performance.now() - start) * 1000) / count;
}

/** One party of a libsignal session: identity, in-memory stores, and (for the responder) prekeys. */
function libParty(lib: Lib, name: string, registrationId: number) {
  const identity = lib.IdentityKeyPair.generate();
  const sessions = new Map<string, Libsignal.SessionRecord>();
  const identities = new Map<string, Libsignal.PublicKey>();
  const signed = new Map<number, Libsignal.SignedPreKeyRecord>();
  const kyber = new Map<number, Libsignal.KyberPreKeyRecord>();
  const missing = (what: string): Promise<never> => Promise.reject(new Error(`no ${what}`));

  class SessionStore extends lib.SessionStore {
    saveSession(address: Libsignal.ProtocolAddress, record: Libsignal.SessionRecord): Promise<void> {
      sessions.set(address.toString(), record);
      return Promise.resolve();
    }
    getSession(address: Libsignal.ProtocolAddress): Promise<Libsignal.SessionRecord | null> {
      return Promise.resolve(sessions.get(address.toString()) ?? null);
    }
    getExistingSessions(addresses: Libsignal.ProtocolAddress[]): Promise<Libsignal.SessionRecord[]> {
      return Promise.resolve(addresses.flatMap((a) => sessions.get(a.toString()) ?? []));
    }
  }
  class IdentityStore extends lib.IdentityKeyStore {
    getIdentityKey(): Promise<Libsignal.PrivateKey> {
      return Promise.resolve(identity.privateKey);
    }
    getLocalRegistrationId(): Promise<number> {
      return Promise.resolve(registrationId);
    }
    saveIdentity(address: Libsignal.ProtocolAddress, key: Libsignal.PublicKey): Promise<Libsignal.IdentityChange> {
      identities.set(address.toString(), key);
      return Promise.resolve(lib.IdentityChange.NewOrUnchanged);
    }
    isTrustedIdentity(): Promise<boolean> {
      return Promise.resolve(true);
    }
    getIdentity(address: Libsignal.ProtocolAddress): Promise<Libsignal.PublicKey | null> {
      return Promise.resolve(identities.get(address.toString()) ?? null);
    }
  }
  class PreKeyStore extends lib.PreKeyStore {
    savePreKey(): Promise<void> {
      return Promise.resolve();
    }
    getPreKey(): Promise<Libsignal.PreKeyRecord> {
      return missing('one-time prekey');
    }
    removePreKey(): Promise<void> {
      return Promise.resolve();
    }
  }
  class SignedPreKeyStore extends lib.SignedPreKeyStore {
    saveSignedPreKey(id: number, record: Libsignal.SignedPreKeyRecord): Promise<void> {
      signed.set(id, record);
      return Promise.resolve();
    }
    getSignedPreKey(id: number): Promise<Libsignal.SignedPreKeyRecord> {
      const record = signed.get(id);
      return record === undefined ? missing('signed prekey') : Promise.resolve(record);
    }
  }
  class KyberPreKeyStore extends lib.KyberPreKeyStore {
    saveKyberPreKey(id: number, record: Libsignal.KyberPreKeyRecord): Promise<void> {
      kyber.set(id, record);
      return Promise.resolve();
    }
    getKyberPreKey(id: number): Promise<Libsignal.KyberPreKeyRecord> {
      const record = kyber.get(id);
      return record === undefined ? missing('kyber prekey') : Promise.resolve(record);
    }
    markKyberPreKeyUsed(): Promise<void> {
      return Promise.resolve();
    }
  }

  return {
    identity,
    registrationId,
    address: lib.ProtocolAddress.new(name, 1),
    sessionStore: new SessionStore(),
    identityStore: new IdentityStore(),
    preKeyStore: new PreKeyStore(),
    signedStore: new SignedPreKeyStore(),
    kyberStore: new KyberPreKeyStore(),
    /** Drops every session, so the next handshake starts from an empty record (as ours does). */
    forgetSessions: () => sessions.clear(),
  };
}

type Party = ReturnType<typeof libParty>;

/** Bob's bundle with a signed prekey and a Kyber (ML-KEM-1024) prekey, no one-time prekey. */
function publishBundle(lib: Lib, bob: Party): Libsignal.PreKeyBundle {
  const signedKey = lib.PrivateKey.generate();
  const signedSig = bob.identity.privateKey.sign(signedKey.getPublicKey().serialize());
  void bob.signedStore.saveSignedPreKey(1, lib.SignedPreKeyRecord.new(1, Date.now(), signedKey.getPublicKey(), signedKey, signedSig));
  const kem = lib.KEMKeyPair.generate();
  const kemSig = bob.identity.privateKey.sign(kem.getPublicKey().serialize());
  void bob.kyberStore.saveKyberPreKey(1, lib.KyberPreKeyRecord.new(1, Date.now(), kem, kemSig));
  return lib.PreKeyBundle.new(
    bob.registrationId, 1, null, null, 1, signedKey.getPublicKey(), signedSig,
    bob.identity.publicKey, 1, kem.getPublicKey(), kemSig,
  );
}

/** Decrypts serialized message `bytes` from `from` at `to`, whichever of the two kinds it is. */
async function libReceive(lib: Lib, from: Party, to: Party, bytes: Uint8Array<ArrayBuffer>, type: number): Promise<Uint8Array> {
  return type === Number(lib.CiphertextMessageType.PreKey)
    ? lib.signalDecryptPreKey(
        lib.PreKeySignalMessage.deserialize(bytes), from.address, to.address, to.sessionStore, to.identityStore,
        to.preKeyStore, to.signedStore, to.kyberStore,
      )
    : lib.signalDecrypt(lib.SignalMessage.deserialize(bytes), from.address, to.address, to.sessionStore, to.identityStore);
}

/** Sends one message from `from` to `to` and returns its serialized bytes and type. */
async function libSend(lib: Lib, from: Party, to: Party, plaintext: Uint8Array<ArrayBuffer>): Promise<{ bytes: Uint8Array; type: number }> {
  const sent = await lib.signalEncrypt(plaintext, to.address, from.address, from.sessionStore, from.identityStore);
  const bytes = sent.serialize();
  const got = await libReceive(lib, from, to, bytes, sent.type());
  if (got.length !== plaintext.length) throw new Error('libsignal round trip lost bytes');
  return { bytes, type: sent.type() };
}

/** A libsignal session between two in-memory parties with both sending chains started. */
export interface LibRatchet {
  /** Messages per second of 1 KiB encrypt + decrypt with the direction alternating, over about `ms`. */
  alternating(ms: number): Promise<number>;
  /** The same, always in one direction (no ratchet turn). */
  oneWay(ms: number): Promise<number>;
  /** Mean size of a 16-byte plaintext's message, direction alternating (SPQR chunks vary in size). */
  turnBytes(): Promise<number>;
}

/** The ratchet rows' libsignal side, measured the same way as ours (bench/suites/messaging.ts). */
export async function startLibsignalRatchet(lib: Lib): Promise<LibRatchet> {
  const alice = libParty(lib, 'alice', 1);
  const bob = libParty(lib, 'bob', 2);
  await lib.processPreKeyBundle(publishBundle(lib, bob), bob.address, alice.address, alice.sessionStore, alice.identityStore);
  const kib = new Uint8Array(1024).fill(0x5a);
  const small = new Uint8Array(16).fill(0x33);
  let [from, to] = [alice, bob];
  const alternate = async (plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array> => {
    const { bytes } = await libSend(lib, from, to, plaintext);
    [from, to] = [to, from];
    return bytes;
  };
  // One message each way first, so both sides have sending chains.
  await alternate(kib);
  await alternate(kib);
  return {
    alternating: (ms) => asyncOpsPerSecond(() => alternate(kib), ms),
    oneWay: (ms) => asyncOpsPerSecond(() => libSend(lib, from, to, kib), ms),
    async turnBytes() {
      let total = 0;
      const samples = 64;
      for (let i = 0; i < samples; i++) total += (await alternate(small)).length;
      return total / samples;
    },
  };
}

export interface LibHandshakeResult {
  /** processPreKeyBundle alone (verifies the bundle, PQXDH, creates the session), µs. */
  readonly processBundleUs: number;
  /** processPreKeyBundle + the first signalEncrypt of a 16-byte text, µs. */
  readonly sendFirstUs: number;
  /** signalDecryptPreKey of that first message (PQXDH response + first decrypt), µs. */
  readonly receiveFirstUs: number;
  /** The first message (PreKeySignalMessage) for a 16-byte text, bytes. */
  readonly firstBytes: number;
  /** A later message (SignalMessage) in an established chain, 16-byte text, mean of LATER_SAMPLES. */
  readonly laterBytes: number;
}

/** Same-chain messages averaged for the later-message size (SPQR chunks vary in size). */
export const LATER_SAMPLES = 16;

export async function measureLibsignalHandshake(lib: Lib, count: number): Promise<LibHandshakeResult> {
  const alice = libParty(lib, 'alice', 1);
  const bob = libParty(lib, 'bob', 2);
  const bundle = publishBundle(lib, bob);
  const text = new Uint8Array(16).fill(0x33);
  const processBundle = () => lib.processPreKeyBundle(bundle, bob.address, alice.address, alice.sessionStore, alice.identityStore);
  const processBundleUs = await usPerOp(count, async () => {
    alice.forgetSessions();
    await processBundle();
  });
  const firsts: Uint8Array<ArrayBuffer>[] = [];
  const sendFirstUs = await usPerOp(count, async () => {
    alice.forgetSessions();
    await processBundle();
    const sent = await lib.signalEncrypt(text, bob.address, alice.address, alice.sessionStore, alice.identityStore);
    firsts.push(sent.serialize());
  });
  const preKey = Number(lib.CiphertextMessageType.PreKey);
  const receiveFirstUs = await usPerOp(count, async (i) => {
    bob.forgetSessions();
    await libReceive(lib, alice, bob, firsts[i] ?? new Uint8Array(0), preKey);
  });

  // Sizes on a fresh session: first message, Bob's answer, Alice's turn, then her same-chain messages.
  alice.forgetSessions();
  bob.forgetSessions();
  await processBundle();
  const first = await libSend(lib, alice, bob, text);
  if (first.type !== preKey) throw new Error('the first libsignal message is not a PreKeySignalMessage');
  await libSend(lib, bob, alice, text);
  await libSend(lib, alice, bob, text);
  let total = 0;
  for (let i = 0; i < LATER_SAMPLES; i++) {
    const later = await libSend(lib, alice, bob, text);
    if (later.type === preKey) throw new Error('a later libsignal message is still a PreKeySignalMessage');
    total += later.bytes.length;
  }
  return { processBundleUs, sendFirstUs, receiveFirstUs, firstBytes: first.bytes.length, laterBytes: total / LATER_SAMPLES };
}

/** The loaded library, or why it could not be loaded. */
export async function loadLibsignal(): Promise<Lib | string> {
  try {
    const lib = await import('@signalapp/libsignal-client');
    lib.IdentityKeyPair.generate(); // loads the native binary
    return lib;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

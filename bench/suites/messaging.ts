/**
 * `npm run bench -- messaging`: the 1:1 ratchet. Messages per second of encrypt + decrypt of
 * 1 KiB messages with the direction alternating (so every message is a ratchet turn: X25519 and
 * ML-KEM-768 for us), beside Signal's reference implementation, @signalapp/libsignal-client
 * (Rust through N-API, its Double Ratchet with the SPQR post-quantum ratchet, in-memory stores),
 * when it installs and loads; and the bytes of a message carrying 16 bytes of plaintext. If
 * libsignal cannot be loaded, the suite says so and measures ours alone.
 */
import type * as Libsignal from '@signalapp/libsignal-client';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import {
  initReceiverRatchet,
  initSenderRatchet,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from '../../src/e2e/ratchet.ts';
import { opsPerSecond, type BenchRow, type BenchSuite } from '../report.ts';

const KIB = new Uint8Array(1024).fill(0x5a);
const SMALL = new Uint8Array(16).fill(0x33);
const NOW = 1_700_000_000_000;

/** A fresh session between two in-memory parties; the initiator has sent nothing yet. */
function ourPair(p: CryptoProvider): { a: RatchetState; b: RatchetState } {
  const sharedSecret = p.randomBytes(32);
  const associatedData = p.randomBytes(64);
  const dh = p.generateKey('x25519');
  const kem = p.generateKey('ml-kem-768');
  return {
    a: initSenderRatchet(p, { sharedSecret, associatedData, peerDhPublic: dh.publicKey, peerKemPublic: kem.publicKey }),
    b: initReceiverRatchet(p, { sharedSecret, associatedData, ownDhKey: dh, ownKemKey: kem }),
  };
}

interface OursResult {
  readonly alternating: number;
  readonly oneWay: number;
  readonly turnBytes: number;
}

function measureOurs(): OursResult {
  const p = createNodeCryptoProvider();
  let { a: from, b: to } = ourPair(p);
  // One message each way first, so both sides have sending chains.
  const alternate = (plaintext: Uint8Array): Uint8Array => {
    const sent = ratchetEncrypt(p, from, plaintext, NOW);
    const got = ratchetDecrypt(p, to, sent.message, NOW);
    from = got.state;
    to = sent.state;
    return sent.message;
  };
  alternate(KIB);
  alternate(KIB);
  const alternating = opsPerSecond(() => alternate(KIB), 1500);
  const turnBytes = alternate(SMALL).length;
  // Same direction every time: the symmetric ratchet only, no turn.
  const oneWay = opsPerSecond(() => {
    const sent = ratchetEncrypt(p, from, KIB, NOW);
    to = ratchetDecrypt(p, to, sent.message, NOW).state;
    from = sent.state;
  }, 800);
  return { alternating, oneWay, turnBytes };
}

// --- libsignal ---------------------------------------------------------------------------

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

/** Sends one message from `from` to `to` and returns its serialized bytes. */
async function libSend(lib: Lib, from: Party, to: Party, plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const sent = await lib.signalEncrypt(plaintext, to.address, from.address, from.sessionStore, from.identityStore);
  const bytes = sent.serialize();
  const got =
    sent.type() === Number(lib.CiphertextMessageType.PreKey)
      ? await lib.signalDecryptPreKey(
          lib.PreKeySignalMessage.deserialize(bytes), from.address, to.address, to.sessionStore, to.identityStore,
          to.preKeyStore, to.signedStore, to.kyberStore,
        )
      : await lib.signalDecrypt(lib.SignalMessage.deserialize(bytes), from.address, to.address, to.sessionStore, to.identityStore);
  if (got.length !== plaintext.length) throw new Error('libsignal round trip lost bytes');
  return bytes;
}

interface LibResult {
  readonly alternating: number;
  readonly oneWay: number;
  readonly turnBytes: number;
}

async function measureLibsignal(lib: Lib): Promise<LibResult> {
  const alice = libParty(lib, 'alice', 1);
  const bob = libParty(lib, 'bob', 2);
  await lib.processPreKeyBundle(publishBundle(lib, bob), bob.address, alice.address, alice.sessionStore, alice.identityStore);
  const kib = new Uint8Array(1024).fill(0x5a);
  const small = new Uint8Array(16).fill(0x33);
  let [from, to] = [alice, bob];
  const alternate = async (plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array> => {
    const bytes = await libSend(lib, from, to, plaintext);
    [from, to] = [to, from];
    return bytes;
  };
  await alternate(kib);
  await alternate(kib);
  const alternating = await asyncOpsPerSecond(() => alternate(kib), 1500);
  // SPQR sends its ML-KEM material in chunks of varying size: average over many messages.
  let total = 0;
  const samples = 64;
  for (let i = 0; i < samples; i++) total += (await alternate(small)).length;
  const oneWay = await asyncOpsPerSecond(() => libSend(lib, from, to, kib), 800);
  return { alternating, oneWay, turnBytes: total / samples };
}

async function loadLibsignal(): Promise<Lib | string> {
  try {
    const lib = await import('@signalapp/libsignal-client');
    lib.IdentityKeyPair.generate(); // loads the native binary
    return lib;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export const suite: BenchSuite = {
  name: 'messaging',
  description: 'PQ Double Ratchet (turn every message) beside @signalapp/libsignal-client; message sizes',
  async run(): Promise<readonly BenchRow[]> {
    const ours = measureOurs();
    const lib = await loadLibsignal();
    const theirs = typeof lib === 'string' ? undefined : await measureLibsignal(lib);
    if (typeof lib === 'string') console.log(`libsignal not available, measuring ours only: ${lib}`);
    const peer = theirs === undefined ? {} : { peer: 'libsignal' };
    const rate = (metric: string, mine: number, other: number | undefined, target?: string): BenchRow[] => [
      { metric: `${metric} [ours]`, value: mine, unit: 'msgs/s', ...peer, ...(other === undefined ? {} : { ratio: mine / other }), ...(target === undefined ? {} : { target }) },
      ...(other === undefined ? [] : [{ metric: `${metric} [libsignal]`, value: other, unit: 'msgs/s' }]),
    ];
    return [
      ...rate('1 KiB encrypt+decrypt, direction alternating (ratchet turn every message)', ours.alternating, theirs?.alternating, 'ratio >= 1'),
      ...rate('1 KiB encrypt+decrypt, one direction (no turn)', ours.oneWay, theirs?.oneWay),
      {
        metric: 'message bytes, 16 B plaintext, first of a turn [ours]',
        value: ours.turnBytes,
        unit: 'bytes',
        ...peer,
        ...(theirs === undefined ? {} : { ratio: theirs.turnBytes / ours.turnBytes }),
      },
      ...(theirs === undefined ? [] : [{ metric: 'message bytes, 16 B plaintext, first of a turn [libsignal, mean of 64]', value: theirs.turnBytes, unit: 'bytes' }]),
    ];
  },
};

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, createNodeCryptoProvider, generateHybridKeyPair, type HybridPrivateKey } from '../crypto/index.ts';
import { isSamizdatError } from '../errors.ts';
import { OnionCircuit, encodeExitPayload } from './client-circuit.ts';
import { buildCreateOnion, peelCreateLayer, type OnionHop } from './create-onion.ts';
import { createOnionKeyRing, onionKeyId, type MemoryOnionKeyRing } from './onion-keys.ts';
import { createLayerSealer, createReplayWindow, openLayer, sealBackward, unwrapResponse, wrapRequest } from './relay-layer.ts';
import { createReplayCache } from './replay-cache.ts';
import { openTargetRequest, openTargetResponse, openTargetSession, sealSessionRequest, sealTargetError, sealTargetResponse } from './target-layer.ts';
import { createTargetSessionTable, type TargetSessionTable } from './target-sessions.ts';
import { ONION_LAYER_MAX_AGE_MS, type LayerClock } from './layer-time.ts';
import { SamizdatError } from '../errors.ts';

const crypto = createNodeCryptoProvider();

interface Node {
  readonly key: HybridPrivateKey;
  readonly ring: MemoryOnionKeyRing;
  readonly hop: OnionHop;
}

function makeNode(name: string): Node {
  const key = generateHybridKeyPair(crypto);
  const ring = createOnionKeyRing(crypto, [{ key }]);
  return { key, ring, hop: { peerId: name, addresses: [`/ip4/127.0.0.1/tcp/1/${name}`], onionPublicKey: key.publicKey, keyId: onionKeyId(crypto, key.publicKey) } };
}

const nodes = [makeNode('guard'), makeNode('middle'), makeNode('exit')];
const target = makeNode('target');
const hops = nodes.map((n) => n.hop);
const cache = () => createReplayCache({ now: () => 0, maxEntries: 1_000 });
const NOW = 1_800_000_000_000;
const clock: LayerClock = { nowMs: NOW, notBeforeMs: 0 };
const sessions = (): TargetSessionTable => createTargetSessionTable({ now: () => NOW });
const atTarget = { fromPeer: 'exit', clock };

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at % copy.length] = (copy[at % copy.length] ?? 0) ^ 0x01;
  return copy;
}

function rejected(fn: () => unknown): void {
  assert.throws(fn, (e) => isSamizdatError(e) && ['DECRYPT_FAILED', 'MALFORMED', 'BAD_KEY'].includes(e.code));
}

/** The create layer each hop receives, peeled in order with fresh replay caches. */
function createLayersPerHop(layer: Uint8Array): Uint8Array[] {
  const out = [layer];
  let current = layer;
  for (const node of nodes.slice(0, -1)) {
    current = peelCreateLayer(crypto, node.ring, cache(), current, clock).inner;
    out.push(current);
  }
  return out;
}

describe('create onion', () => {
  it('each hop peels its layer, learns the next hop only, and derives the client keys', () => {
    const onion = buildCreateOnion(crypto, hops, NOW);
    let current = onion.layer;
    nodes.forEach((node, i) => {
      const peeled = peelCreateLayer(crypto, node.ring, cache(), current, clock);
      assert.deepEqual(peeled.keys, onion.hopKeys[i]);
      assert.equal(peeled.next?.peerId, nodes[i + 1]?.hop.peerId);
      current = peeled.inner;
    });
    assert.equal(current.length, 0);
  });

  it('a changed byte in any hop layer is rejected at that hop', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), (hop, at) => {
        const received = createLayersPerHop(buildCreateOnion(crypto, hops, NOW).layer)[hop] as Uint8Array;
        const node = nodes[hop] as Node;
        rejected(() => peelCreateLayer(crypto, node.ring, cache(), flip(received, at), clock));
      }),
      { numRuns: 60 },
    );
  });

  it('a replayed create layer is rejected', () => {
    const replay = cache();
    const layer = buildCreateOnion(crypto, hops, NOW).layer;
    peelCreateLayer(crypto, nodes[0]!.ring, replay, layer, clock);
    assert.throws(() => peelCreateLayer(crypto, nodes[0]!.ring, replay, layer, clock), (e) => isSamizdatError(e, 'MALFORMED') && /replayed/.test(e.message));
  });

  it('a retired key gives BAD_KEY', () => {
    const node = makeNode('retiring');
    const layer = buildCreateOnion(crypto, [node.hop], NOW).layer;
    node.ring.retire(node.hop.keyId);
    assert.throws(() => peelCreateLayer(crypto, node.ring, cache(), layer, clock), (e) => isSamizdatError(e, 'BAD_KEY'));
  });

  it('right X25519 + wrong ML-KEM key fails, and the other way round', () => {
    const other = generateHybridKeyPair(crypto);
    const node = nodes[0] as Node;
    const mixes = [
      concatBytes(node.key.x25519.publicKey, other.mlKem.publicKey),
      concatBytes(other.x25519.publicKey, node.key.mlKem.publicKey),
    ];
    for (const onionPublicKey of mixes) {
      // The key id names the node's real key, so the node tries its key and must fail to open.
      const layer = buildCreateOnion(crypto, [{ ...node.hop, onionPublicKey }], NOW).layer;
      assert.throws(() => peelCreateLayer(crypto, node.ring, cache(), layer, clock), (e) => isSamizdatError(e, 'DECRYPT_FAILED'));
      const sealed = openTargetSession(crypto, { onionPublicKey, keyId: node.hop.keyId }, new Uint8Array([1, 2, 3]), NOW);
      assert.throws(() => openTargetRequest(crypto, node.ring, cache(), sessions(), sealed.layer, atTarget), (e) => isSamizdatError(e, 'DECRYPT_FAILED'));
    }
  });
});

describe('relay layers', () => {
  const keys = buildCreateOnion(crypto, hops, NOW).hopKeys;

  /** The forward layer each hop receives for one request. */
  function relayLayersPerHop(payload: Uint8Array): Uint8Array[] {
    const sealers = keys.map((k) => createLayerSealer(crypto, k.forwardKey));
    const out = [wrapRequest(crypto, sealers, payload)];
    for (let i = 0; i < keys.length - 1; i++) out.push(openLayer(crypto, keys[i]!.forwardKey, undefined, out[i]!));
    return out;
  }

  it('each hop opens its layer; the exit finds the payload', () => {
    const payload = new Uint8Array([9, 8, 7]);
    const layers = relayLayersPerHop(payload);
    assert.deepEqual(openLayer(crypto, keys[2]!.forwardKey, createReplayWindow(), layers[2]!), payload);
  });

  it('a changed byte in any relay layer is rejected at that hop', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), (hop, at) => {
        const received = relayLayersPerHop(new Uint8Array(100).fill(7))[hop]!;
        rejected(() => openLayer(crypto, keys[hop]!.forwardKey, createReplayWindow(), flip(received, at)));
      }),
      { numRuns: 60 },
    );
  });

  it('a replayed relay nonce is rejected', () => {
    const window = createReplayWindow();
    const layer = relayLayersPerHop(new Uint8Array(4))[0]!;
    openLayer(crypto, keys[0]!.forwardKey, window, layer);
    assert.throws(() => openLayer(crypto, keys[0]!.forwardKey, window, layer), (e) => isSamizdatError(e, 'MALFORMED') && /replayed/.test(e.message));
  });

  it('two hops see unrelated nonces (random counter starts)', () => {
    const a = createLayerSealer(crypto, keys[0]!.forwardKey).seal(new Uint8Array(1));
    const b = createLayerSealer(crypto, keys[1]!.forwardKey).seal(new Uint8Array(1));
    assert.notDeepEqual(a.subarray(2, 14), b.subarray(2, 14));
  });

  it('backward layers: the client learns the answer, or the index of the failed hop', () => {
    const backs = keys.map((k) => createLayerSealer(crypto, k.backwardKey));
    const wrapBack = (from: number, inner: Uint8Array): Uint8Array => {
      let bytes = inner;
      for (let i = from; i >= 0; i--) bytes = sealBackward(backs[i]!, { inner: bytes });
      return bytes;
    };
    const answer = wrapBack(2, new Uint8Array([42]));
    assert.deepEqual(unwrapResponse(crypto, keys, answer), { inner: new Uint8Array([42]) });
    // The middle could not reach the exit: hop 2.
    const failure = sealBackward(backs[1]!, { failure: { hop: 1, error: new SamizdatError('PATH_FAILED', 'down') } });
    const result = unwrapResponse(crypto, keys, sealBackward(backs[0]!, { inner: failure }));
    assert.ok('failure' in result && result.failure.hop === 2 && result.failure.error.code === 'PATH_FAILED');
    // The exit could not reach the target: hop 3.
    const exitFailure = sealBackward(backs[2]!, { failure: { hop: 1, error: new SamizdatError('DECRYPT_FAILED', 'x') } });
    const r3 = unwrapResponse(crypto, keys, wrapBack(1, exitFailure));
    assert.ok('failure' in r3 && r3.failure.hop === 3);
  });
});

describe('target layer', () => {
  it('round-trips a request and an answer, and carries the handler error', () => {
    const sealed = openTargetSession(crypto, target.hop, new Uint8Array([1, 2, 3]), NOW);
    const opened = openTargetRequest(crypto, target.ring, cache(), sessions(), sealed.layer, atTarget);
    assert.deepEqual(opened.request, new Uint8Array([1, 2, 3]));
    assert.deepEqual(opened.reply, sealed.reply);
    const answer = sealTargetResponse(crypto, opened.reply, new Uint8Array(2000));
    assert.equal(answer.length, 4096 + 16, 'padded to a bucket');
    assert.deepEqual(openTargetResponse(crypto, sealed.reply, answer), new Uint8Array(2000));
    const error = sealTargetError(crypto, opened.reply, new SamizdatError('WRONG_SWARM', 'elsewhere'));
    assert.throws(() => openTargetResponse(crypto, sealed.reply, error), (e) => isSamizdatError(e, 'WRONG_SWARM') && e.detail.remote === true);
  });

  it('a changed byte is rejected at the target; a replay is rejected', () => {
    fc.assert(
      fc.property(fc.nat(), (at) => {
        const sealed = openTargetSession(crypto, target.hop, new Uint8Array(10), NOW);
        rejected(() => openTargetRequest(crypto, target.ring, cache(), sessions(), flip(sealed.layer, at), atTarget));
      }),
      { numRuns: 40 },
    );
    const replay = cache();
    const sealed = openTargetSession(crypto, target.hop, new Uint8Array(10), NOW);
    openTargetRequest(crypto, target.ring, replay, sessions(), sealed.layer, atTarget);
    assert.throws(() => openTargetRequest(crypto, target.ring, replay, sessions(), sealed.layer, atTarget), (e) => isSamizdatError(e, 'MALFORMED'));
  });
});

describe('target sessions', () => {
  it('later requests use the session: no KEM, counters as nonces, replays and other peers refused', () => {
    const table = sessions();
    const opening = openTargetSession(crypto, target.hop, new Uint8Array([1]), NOW);
    openTargetRequest(crypto, target.ring, cache(), table, opening.layer, atTarget);
    const second = sealSessionRequest(crypto, opening.session, new Uint8Array([2]));
    const third = sealSessionRequest(crypto, opening.session, new Uint8Array([3]));
    assert.ok(second.layer.length < opening.layer.length - 1_000, 'the session form carries no KEM ciphertext');
    // Out of order is fine; each answer opens only with its own request's counter.
    const got3 = openTargetRequest(crypto, target.ring, cache(), table, third.layer, atTarget);
    const got2 = openTargetRequest(crypto, target.ring, cache(), table, second.layer, atTarget);
    assert.deepEqual([got2.request, got3.request], [new Uint8Array([2]), new Uint8Array([3])]);
    const answer = sealTargetResponse(crypto, got2.reply, new Uint8Array([9]));
    assert.deepEqual(openTargetResponse(crypto, second.reply, answer), new Uint8Array([9]));
    assert.throws(() => openTargetResponse(crypto, third.reply, answer), (e) => isSamizdatError(e, 'DECRYPT_FAILED'));
    assert.throws(() => openTargetRequest(crypto, target.ring, cache(), table, second.layer, atTarget), (e) => isSamizdatError(e, 'MALFORMED') && /replayed/.test(e.message));
    const fourth = sealSessionRequest(crypto, opening.session, new Uint8Array([4]));
    assert.throws(() => openTargetRequest(crypto, target.ring, cache(), table, fourth.layer, { ...atTarget, fromPeer: 'another-exit' }), (e) => isSamizdatError(e, 'BAD_KEY'));
    // A tampered session layer does not move the window: the genuine one still opens.
    rejected(() => openTargetRequest(crypto, target.ring, cache(), table, flip(fourth.layer, fourth.layer.length - 3), atTarget));
    assert.deepEqual(openTargetRequest(crypto, target.ring, cache(), table, fourth.layer, atTarget).request, new Uint8Array([4]));
  });

  it('an unknown, idle or key-expired session is BAD_KEY, so the client opens a new one', () => {
    let t = NOW;
    const table = createTargetSessionTable({ now: () => t, idleMs: 1_000, maxSessions: 2 });
    const open = (): ReturnType<typeof openTargetSession> => {
      const opening = openTargetSession(crypto, target.hop, new Uint8Array([1]), NOW);
      openTargetRequest(crypto, target.ring, cache(), table, opening.layer, atTarget);
      return opening;
    };
    const badKey = (e: unknown): boolean => isSamizdatError(e, 'BAD_KEY');
    const a = open();
    t += 1_001;
    assert.throws(() => openTargetRequest(crypto, target.ring, cache(), table, sealSessionRequest(crypto, a.session, new Uint8Array(1)).layer, atTarget), badKey);
    const b = open();
    open();
    open(); // the table holds 2: b, the least recently used, is evicted
    assert.equal(table.size, 2);
    assert.throws(() => openTargetRequest(crypto, target.ring, cache(), table, sealSessionRequest(crypto, b.session, new Uint8Array(1)).layer, atTarget), badKey);
  });

  it('opening and create layers carry the client clock: too old, too new or older than the hop are refused', () => {
    const skew = (e: unknown): boolean => isSamizdatError(e, 'CLOCK_SKEW');
    const old = openTargetSession(crypto, target.hop, new Uint8Array(1), NOW - ONION_LAYER_MAX_AGE_MS - 1);
    assert.throws(() => openTargetRequest(crypto, target.ring, cache(), sessions(), old.layer, atTarget), skew);
    const ahead = openTargetSession(crypto, target.hop, new Uint8Array(1), NOW + ONION_LAYER_MAX_AGE_MS + 1_000);
    assert.throws(() => openTargetRequest(crypto, target.ring, cache(), sessions(), ahead.layer, atTarget), skew);
    const beforeRestart = openTargetSession(crypto, target.hop, new Uint8Array(1), NOW - 10);
    assert.throws(() => openTargetRequest(crypto, target.ring, cache(), sessions(), beforeRestart.layer, { ...atTarget, clock: { nowMs: NOW, notBeforeMs: NOW + 5 } }), skew);
    const create = buildCreateOnion(crypto, [nodes[0]!.hop], NOW - ONION_LAYER_MAX_AGE_MS - 1).layer;
    assert.throws(() => peelCreateLayer(crypto, nodes[0]!.ring, cache(), create, clock), skew);
    const fresh = buildCreateOnion(crypto, [nodes[0]!.hop], NOW - 10).layer;
    assert.throws(() => peelCreateLayer(crypto, nodes[0]!.ring, cache(), fresh, { nowMs: NOW, notBeforeMs: NOW + 5 }), skew);
    peelCreateLayer(crypto, nodes[0]!.ring, cache(), fresh, clock);
  });

  it('layers carry the client clock in whole seconds, and a hop takes a layer made in the second it started', () => {
    assert.equal(NOW % 1_000, 0);
    // 999 ms past the window is still inside it: the layer says NOW + ONION_LAYER_MAX_AGE_MS.
    const ahead = openTargetSession(crypto, target.hop, new Uint8Array(1), NOW + ONION_LAYER_MAX_AGE_MS + 999);
    openTargetRequest(crypto, target.ring, cache(), sessions(), ahead.layer, atTarget);
    const aheadCreate = buildCreateOnion(crypto, [nodes[0]!.hop], NOW + ONION_LAYER_MAX_AGE_MS + 999).layer;
    peelCreateLayer(crypto, nodes[0]!.ring, cache(), aheadCreate, clock);
    // Made 300 ms after a hop that started 500 ms into the second: its layer says NOW, and passes.
    const justAfterStart = { nowMs: NOW + 800, notBeforeMs: NOW + 500 };
    const opened = openTargetSession(crypto, target.hop, new Uint8Array(1), NOW + 800);
    openTargetRequest(crypto, target.ring, cache(), sessions(), opened.layer, { ...atTarget, clock: justAfterStart });
    peelCreateLayer(crypto, nodes[0]!.ring, cache(), buildCreateOnion(crypto, [nodes[0]!.hop], NOW + 800).layer, justAfterStart);
    // A layer of the second before the hop started is still refused.
    const earlier = buildCreateOnion(crypto, [nodes[0]!.hop], NOW - 1).layer;
    assert.throws(() => peelCreateLayer(crypto, nodes[0]!.ring, cache(), earlier, justAfterStart), (e) => isSamizdatError(e, 'CLOCK_SKEW'));
  });

  it('the replay cache remembers an opening layer only as long as its clock is acceptable', () => {
    let t = NOW;
    const replay = createReplayCache({ now: () => t, maxEntries: 10 });
    const opening = openTargetSession(crypto, target.hop, new Uint8Array(1), NOW);
    openTargetRequest(crypto, target.ring, replay, sessions(), opening.layer, atTarget);
    assert.equal(replay.size, 1);
    t = NOW + ONION_LAYER_MAX_AGE_MS + 1;
    assert.throws(() => openTargetRequest(crypto, target.ring, replay, sessions(), opening.layer, { ...atTarget, clock: { nowMs: t, notBeforeMs: 0 } }), (e) => isSamizdatError(e, 'CLOCK_SKEW'));
  });

  it('a replay in the last millisecond the clock allows is still refused, and a session is never opened twice', () => {
    let t = NOW;
    const replay = createReplayCache({ now: () => t, maxEntries: 10 });
    const table = sessions();
    const opening = openTargetSession(crypto, target.hop, new Uint8Array(1), NOW);
    openTargetRequest(crypto, target.ring, replay, table, opening.layer, atTarget);
    t = NOW + ONION_LAYER_MAX_AGE_MS; // the age check still accepts this layer
    const last = { ...atTarget, clock: { nowMs: t, notBeforeMs: 0 } };
    assert.throws(() => openTargetRequest(crypto, target.ring, replay, table, opening.layer, last), (e) => isSamizdatError(e, 'MALFORMED'));
    // Even past a replay cache that forgot it, a second opening of the same session is refused:
    // it would reset the session's replay window and let its recorded requests run again.
    assert.throws(() => openTargetRequest(crypto, target.ring, cache(), table, opening.layer, last), (e) => isSamizdatError(e, 'MALFORMED'));
    const create = buildCreateOnion(crypto, [nodes[0]!.hop], NOW).layer;
    const createReplay = createReplayCache({ now: () => t, maxEntries: 10 });
    t = NOW;
    peelCreateLayer(crypto, nodes[0]!.ring, createReplay, create, clock);
    t = NOW + ONION_LAYER_MAX_AGE_MS;
    assert.throws(() => peelCreateLayer(crypto, nodes[0]!.ring, createReplay, create, { nowMs: t, notBeforeMs: 0 }), (e) => isSamizdatError(e, 'MALFORMED'));
  });
});

describe('random bytes into every peel/open function raise only SamizdatError', () => {
  const circuit = new OnionCircuit(crypto, hops, () => NOW);
  const key = new Uint8Array(32).fill(3);
  const reply = { responseKey: key, counter: 5n };
  const fns: ((b: Uint8Array) => unknown)[] = [
    (b) => peelCreateLayer(crypto, nodes[0]!.ring, cache(), b, clock),
    (b) => openLayer(crypto, key, createReplayWindow(), b),
    (b) => unwrapResponse(crypto, buildCreateOnion(crypto, hops.slice(0, 1), NOW).hopKeys, b),
    (b) => openTargetRequest(crypto, target.ring, cache(), sessions(), b, atTarget),
    (b) => openTargetResponse(crypto, reply, b),
    (b) => circuit.unwrap(b),
    (b) => circuit.openAnswer(b, { key: reply, sessionForm: true }),
    (b) => circuit.checkCreated(b),
  ];
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    // Structured-looking inputs: a valid prefix with a random tail.
    fc.uint8Array({ maxLength: 200 }).map((tail) => concatBytes(buildCreateOnion(crypto, hops.slice(2), NOW).layer.subarray(0, 40), tail)),
  );
  fns.forEach((fn, i) => {
    it(`function ${i}`, () => {
      fc.assert(
        fc.property(bytes, (b) => {
          try {
            fn(b);
          } catch (err) {
            assert.ok(isSamizdatError(err), String(err));
          }
        }),
        { numRuns: 150 },
      );
    });
  });
});

describe('OnionCircuit', () => {
  it('encodeExitPayload refuses a target layer that is not one', () => {
    assert.throws(() => encodeExitPayload(target.hop, new Uint8Array([0xff, 0xff])), (e) => isSamizdatError(e, 'MALFORMED'));
  });
});

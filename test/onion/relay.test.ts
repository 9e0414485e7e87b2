import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { concatBytes, utf8 } from '../../src/crypto/index.ts';
import { isSamizdatError } from '../../src/errors.ts';
import { OnionCircuit, encodeOnionRequest } from '../../src/onion/index.ts';
import { OnionResponseSchema } from '../../src/wire/gen/samizdat/v1/onion_pb.ts';
import { decodeMessage, type RpcSession } from '../../src/wire/index.ts';
import { ECHO_PREFIX, startOnionDevnet, type OnionDevnet } from './onion-devnet.ts';

const TIMEOUT_MS = 5_000;
const MARKER = 'SECRET-PAYLOAD-7f3a';

function contains(haystack: Uint8Array | undefined, needle: string): boolean {
  if (haystack === undefined) return false;
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).includes(Buffer.from(needle));
}

describe('onion relay over real hosts on 127.0.0.1', () => {
  let net: OnionDevnet;
  let session: RpcSession;
  let circuit: OnionCircuit;
  const node = (name: string) => {
    const n = net.nodes[name];
    assert.ok(n);
    return n;
  };

  before(async () => {
    net = await startOnionDevnet(['guard', 'middle', 'exit', 'target', 'client']);
    circuit = new OnionCircuit(net.crypto, [node('guard').hop, node('middle').hop, node('exit').hop], Date.now);
    session = await net.session('client', 'guard');
  });

  after(async () => {
    session.close();
    await net.stop();
  });

  const send = async (text: string): Promise<Uint8Array> => {
    const { request, reply } = circuit.wrapTargetRequest(node('target').hop, utf8(text), { timeoutMs: TIMEOUT_MS });
    return circuit.openAnswer(await session.request(request, { timeoutMs: TIMEOUT_MS }), reply);
  };

  it('builds a circuit and answers 50 concurrent requests', async () => {
    circuit.checkCreated(await session.request(circuit.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS }));
    for (const name of ['guard', 'middle', 'exit']) assert.equal(node(name).relay?.circuitCount, 1, name);
    const texts = Array.from({ length: 50 }, (_, i) => `${MARKER} request ${i}`);
    const answers = await Promise.all(texts.map((t) => send(t)));
    answers.forEach((a, i) => assert.deepEqual(a, concatBytes(ECHO_PREFIX, utf8(texts[i] ?? ''))));
  });

  it('each hop saw only what it must', () => {
    const client = node('client');
    const target = node('target');
    const seen = (at: string) => net.observations.filter((o) => o.at === at);
    const clientTexts = [client.hop.peerId, ...client.hop.addresses];
    const guard = seen('guard');
    assert.ok(guard.length >= 51);
    for (const o of guard) {
      assert.equal(o.fromPeer, client.hop.peerId, 'the guard saw the client');
      assert.equal(o.toPeer, node('middle').hop.peerId);
      assert.ok(!contains(o.plaintext, target.hop.peerId), 'the guard did not see the target');
      assert.ok(!contains(o.plaintext, MARKER), 'the guard did not see the payload');
    }
    for (const o of seen('middle')) {
      assert.equal(o.fromPeer, node('guard').hop.peerId);
      assert.equal(o.toPeer, node('exit').hop.peerId);
      for (const text of [...clientTexts, target.hop.peerId, MARKER]) assert.ok(!contains(o.plaintext, text), `the middle did not see ${text}`);
    }
    const exitRelays = seen('exit').filter((o) => o.kind === 'relay');
    assert.equal(exitRelays.length, 50);
    for (const o of seen('exit')) {
      assert.equal(o.fromPeer, node('middle').hop.peerId);
      assert.equal(o.role, 'exit');
      if (o.kind === 'relay') assert.equal(o.toPeer, target.hop.peerId, 'the exit saw the target');
      for (const text of [...clientTexts, MARKER]) assert.ok(!contains(o.plaintext, text), `the exit did not see ${text}`);
    }
    const delivered = seen('target');
    assert.equal(delivered.length, 50);
    for (const o of delivered) {
      assert.equal(o.fromPeer, node('exit').hop.peerId, 'the target saw only the exit');
      assert.ok(contains(o.plaintext, MARKER), 'the target saw the request');
      for (const text of clientTexts) assert.ok(!contains(o.plaintext, text), 'the target did not see the client');
    }
  });

  it('later requests use the target session (no KEM); a target that forgot it gets a new one', async () => {
    const exitPlaintexts = () => net.observations.filter((o) => o.at === 'exit' && o.kind === 'relay').map((o) => o.plaintext?.length ?? 0);
    await send('after the first answer');
    const sizes = exitPlaintexts();
    assert.ok((sizes.at(-1) ?? Infinity) < 1_300, `a session-form request carries no KEM ciphertext (${sizes.at(-1)} bytes at the exit)`);
    assert.ok((sizes[0] ?? 0) > 2_000, 'the opening request carried one');
    // The target restarts: its sessions are gone.
    await node('target').relay?.stop();
    await node('target').relay?.start();
    await assert.rejects(send('to a target that forgot'), (e) => isSamizdatError(e, 'PATH_FAILED') && e.detail.hop === 3 && e.detail.code === 'BAD_KEY');
    assert.deepEqual(await send('reopened'), concatBytes(ECHO_PREFIX, utf8('reopened')));
    assert.ok((exitPlaintexts().at(-1) ?? 0) > 2_000, 'the circuit opened a new session');
  });

  it('random bytes on the relay protocol get a typed error and the relay keeps serving', async () => {
    const garbage = await net.session('client', 'guard');
    const reply = decodeMessage(OnionResponseSchema, await garbage.request(net.crypto.randomBytes(300), { timeoutMs: TIMEOUT_MS }));
    assert.equal(reply.response.case, 'error');
    assert.equal(reply.response.value?.code, 'MALFORMED');
    // A well-formed request for a circuit that does not exist on this link.
    const unknown = decodeMessage(
      OnionResponseSchema,
      await garbage.request(encodeOnionRequest({ request: { case: 'relay', value: { circuitId: new Uint8Array(16) } } }), { timeoutMs: TIMEOUT_MS }),
    );
    assert.equal(unknown.response.case, 'error');
    garbage.close();
    // Raw bytes that are not even a frame: that stream is dropped, the relay serves on.
    const raw = await node('client').host.transport.dial(node('guard').hop, '/samizdat/onion/1.0.0', AbortSignal.timeout(TIMEOUT_MS));
    raw.send(new Uint8Array(64).fill(0xff));
    await raw.close().catch(() => undefined);
    assert.deepEqual(await send(`${MARKER} after garbage`), concatBytes(ECHO_PREFIX, utf8(`${MARKER} after garbage`)));
  });

  it('a replayed request is rejected by the guard', async () => {
    const { request } = circuit.wrapTargetRequest(node('target').hop, utf8('once'), { timeoutMs: TIMEOUT_MS });
    await session.request(request, { timeoutMs: TIMEOUT_MS });
    assert.throws(() => circuit.unwrap(request), (e) => isSamizdatError(e)); // a request is not an answer
    const reply = decodeMessage(OnionResponseSchema, await session.request(request, { timeoutMs: TIMEOUT_MS }));
    assert.equal(reply.response.case, 'error');
    assert.match(reply.response.value?.message ?? '', /replayed/);
  });

  it('stopping the middle makes the next request fail with PATH_FAILED hop 1 within its deadline', async () => {
    await node('middle').relay?.stop();
    await node('middle').host.stop();
    const started = Date.now();
    await assert.rejects(send('after the middle stopped'), (e) => isSamizdatError(e, 'PATH_FAILED') && e.detail.hop === 1);
    assert.ok(Date.now() - started < TIMEOUT_MS, `failed after ${Date.now() - started} ms`);
    // A new circuit through the stopped middle fails at create, naming the same hop.
    const retry = new OnionCircuit(net.crypto, [node('guard').hop, node('middle').hop, node('exit').hop], Date.now);
    const answer = await session.request(retry.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS });
    assert.throws(() => retry.checkCreated(answer), (e) => isSamizdatError(e, 'PATH_FAILED') && e.detail.hop === 1);
    assert.equal(node('guard').relay?.circuitCount, 1, 'the failed circuit was not kept');
  });
});

describe('deadlines', () => {
  it('a target slower than the deadline gives PATH_FAILED hop 3 before the deadline', async () => {
    const net = await startOnionDevnet(['guard', 'middle', 'exit', 'target', 'client'], { deliverDelayMs: 3_000 });
    try {
      const hop = (name: string) => {
        const n = net.nodes[name];
        assert.ok(n);
        return n.hop;
      };
      const circuit = new OnionCircuit(net.crypto, [hop('guard'), hop('middle'), hop('exit')], Date.now);
      const session = await net.session('client', 'guard');
      circuit.checkCreated(await session.request(circuit.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS }));
      const deadline = 1_500;
      const { request, reply } = circuit.wrapTargetRequest(hop('target'), utf8('slow'), { timeoutMs: deadline });
      const started = Date.now();
      const answer = await session.request(request, { timeoutMs: deadline });
      assert.throws(() => circuit.openAnswer(answer, reply), (e) => isSamizdatError(e, 'PATH_FAILED') && e.detail.hop === 3);
      assert.ok(Date.now() - started < deadline, `answered after ${Date.now() - started} ms`);
      session.close();
    } finally {
      await net.stop();
    }
  });
});

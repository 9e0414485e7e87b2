import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { concatBytes, utf8 } from '../../src/crypto/index.ts';
import { isSamizdatError } from '../../src/errors.ts';
import { RELAY_CLIENT_CREATE_LIMIT, RELAY_NODE_CREATE_LIMIT, createRelayAdmission } from '../../src/node/relay-admission.ts';
import { OnionCircuit } from '../../src/onion/index.ts';
import { OnionResponseSchema } from '../../src/wire/gen/samizdat/v1/onion_pb.ts';
import { decodeMessage } from '../../src/wire/index.ts';
import { ECHO_PREFIX, startOnionDevnet, type OnionDevnet } from './onion-devnet.ts';

const TIMEOUT_MS = 5_000;

describe('relay admission (per-link token buckets)', () => {
  it('limits creations per client link, gives nodes their own larger buckets, and follows a change of status at once', () => {
    let clock = 0;
    const nodes = new Set(['node-a']);
    const admission = createRelayAdmission({ isNode: (p) => nodes.has(p), now: () => clock });
    const burst = (peer: string, kind: 'create' | 'relay'): number => {
      let n = 0;
      for (; n < 100_000; n++) {
        try {
          admission.admit(peer, kind);
        } catch (err) {
          assert.ok(isSamizdatError(err, 'RATE_LIMITED'));
          return n;
        }
      }
      return n;
    };
    assert.equal(burst('client-1', 'create'), RELAY_CLIENT_CREATE_LIMIT.burst);
    assert.equal(burst('client-2', 'create'), RELAY_CLIENT_CREATE_LIMIT.burst, 'each link has its own bucket');
    assert.ok(burst('client-1', 'relay') > 1_000, 'relayed messages do not share the create bucket');
    assert.equal(burst('node-a', 'create'), RELAY_NODE_CREATE_LIMIT.burst);
    clock += 1_000;
    assert.equal(burst('client-1', 'create'), RELAY_CLIENT_CREATE_LIMIT.ratePerSecond, 'refills at the rate');
    nodes.add('client-2');
    assert.equal(burst('client-2', 'create'), RELAY_NODE_CREATE_LIMIT.burst, 'a peer that became a node gets a node bucket');
  });

  describe('on real hosts', () => {
    let net: OnionDevnet;
    const relays = new Set<string>();
    before(async () => {
      const admission = createRelayAdmission({ isNode: (p) => relays.has(p), now: Date.now });
      net = await startOnionDevnet(['guard', 'middle', 'exit', 'target', 'client', 'other'], { admit: (peer, kind) => admission.admit(peer, kind) });
      for (const name of ['guard', 'middle', 'exit', 'target']) relays.add(net.nodes[name]!.hop.peerId);
    });
    after(async () => {
      await net.stop();
    });

    it('a client flooding its guard with circuit creations is refused with RATE_LIMITED; another client is served', async () => {
      const path = ['guard', 'middle', 'exit'].map((n) => net.nodes[n]!.hop);
      const flooder = await net.session('client', 'guard');
      const answers = await Promise.all(
        Array.from({ length: RELAY_CLIENT_CREATE_LIMIT.burst + 20 }, async () => {
          const circuit = new OnionCircuit(net.crypto, path, Date.now);
          return decodeMessage(OnionResponseSchema, await flooder.request(circuit.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS }));
        }),
      );
      const refused = answers.filter((a) => a.response.case === 'error' && a.response.value.code === 'RATE_LIMITED');
      const created = answers.filter((a) => a.response.case === 'created');
      assert.ok(refused.length >= 15, `${refused.length} of ${answers.length} refused`);
      assert.ok(created.length >= RELAY_CLIENT_CREATE_LIMIT.burst - 5, `${created.length} created`);
      assert.ok(refused.every((a) => a.response.case === 'error' && (a.response.value.retryAfterMs ?? 0) > 0), 'the refusal says when to retry');
      flooder.close();

      const session = await net.session('other', 'guard');
      const circuit = new OnionCircuit(net.crypto, path, Date.now);
      circuit.checkCreated(await session.request(circuit.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS }));
      const { request, reply } = circuit.wrapTargetRequest(net.nodes.target!.hop, utf8('still served'), { timeoutMs: TIMEOUT_MS });
      assert.deepEqual(circuit.openAnswer(await session.request(request, { timeoutMs: TIMEOUT_MS }), reply), concatBytes(ECHO_PREFIX, utf8('still served')));
      session.close();
    });
  });
});

// A relay forwards only to nodes its consensus knows, at the consensus's addresses: a client
// cannot aim it at an arbitrary peer or address.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { isSamizdatError } from '../../src/errors.ts';
import { OnionCircuit } from '../../src/onion/index.ts';
import type { PeerTarget } from '../../src/wire/index.ts';
import { startOnionDevnet, type OnionDevnet } from './onion-devnet.ts';

const TIMEOUT_MS = 5_000;
let net: OnionDevnet;
const known = new Map<string, PeerTarget>();

before(async () => {
  net = await startOnionDevnet(['guard', 'middle', 'exit', 'outsider', 'client'], {
    resolveNext: (named) => known.get(named.peerId),
  });
  for (const name of ['guard', 'middle', 'exit']) {
    const hop = net.nodes[name]?.hop;
    assert.ok(hop !== undefined);
    known.set(hop.peerId, { peerId: hop.peerId, addresses: hop.addresses });
  }
});
after(() => net.stop());

const hop = (name: string) => {
  const h = net.nodes[name]?.hop;
  assert.ok(h !== undefined);
  return h;
};

it('a known next hop is dialled at the consensus address, whatever address the layer names', async () => {
  const session = await net.session('client', 'guard');
  try {
    const misdirected = { ...hop('middle'), addresses: ['/ip4/127.0.0.1/tcp/9'] };
    const circuit = new OnionCircuit(net.crypto, [hop('guard'), misdirected, hop('exit')], Date.now);
    circuit.checkCreated(await session.request(circuit.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS }));
  } finally {
    session.close();
  }
});

it('a next hop outside the consensus is refused with PATH_FAILED naming that hop', async () => {
  const session = await net.session('client', 'guard');
  try {
    const circuit = new OnionCircuit(net.crypto, [hop('guard'), hop('outsider'), hop('exit')], Date.now);
    const answer = await session.request(circuit.createRequest({ timeoutMs: TIMEOUT_MS }), { timeoutMs: TIMEOUT_MS });
    assert.throws(() => circuit.checkCreated(answer), (e) => isSamizdatError(e, 'PATH_FAILED') && e.detail.hop === 1);
  } finally {
    session.close();
  }
});

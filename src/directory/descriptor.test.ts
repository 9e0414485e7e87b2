import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { concatBytes, utf8 } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { NodeDescriptorBodySchema, SignedNodeDescriptorSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import { crypto, makeNode } from '../../test/directory/fixtures.ts';
import { samizdatCode } from '../../test/support/providers.ts';
import { peerIdOfPublicKey } from './addresses.ts';
import { signNodeDescriptor, verifyNodeDescriptor } from './descriptor.ts';
import { MAX_CLOCK_SKEW_MS } from './limits.ts';

const node = makeNode();
const NOW = 1_750_000_000_000;

function fields(overrides: Record<string, unknown> = {}): Parameters<typeof signNodeDescriptor>[2] {
  return {
    addresses: ['/ip4/10.1.2.3/tcp/4001', '/ip6/2001:db8::1/tcp/4002/ws'],
    onionX25519: node.onionX25519,
    onionMlKem: node.onionMlKem,
    version: 'samizdat/0.1.0',
    publishedAtMs: NOW,
    ...overrides,
  };
}

/** A descriptor with whatever body fields, validly signed by the node (as a hostile node could). */
function signRaw(body: Parameters<typeof create<typeof NodeDescriptorBodySchema>>[1]): Uint8Array {
  const bytes = toBinary(NodeDescriptorBodySchema, create(NodeDescriptorBodySchema, { nodeId: node.key.publicKey, ...body }));
  const signature = crypto.sign(node.key, concatBytes(utf8('samizdat/v1/node-descriptor'), bytes));
  return toBinary(SignedNodeDescriptorSchema, create(SignedNodeDescriptorSchema, { body: bytes, signature }));
}

describe('node descriptors', () => {
  it('round-trip sign -> verify with every field intact', () => {
    const signed = signNodeDescriptor(crypto, node.key, fields());
    const d = verifyNodeDescriptor(crypto, signed, { now: NOW });
    assert.deepEqual(d.nodeId, node.key.publicKey);
    assert.equal(d.peerId, peerIdOfPublicKey(node.key.publicKey));
    assert.deepEqual(d.addresses, fields().addresses);
    assert.deepEqual(d.onionX25519, node.onionX25519);
    assert.deepEqual(d.onionMlKem, node.onionMlKem);
    assert.equal(d.version, 'samizdat/0.1.0');
    assert.equal(d.publishedAtMs, NOW);
    assert.deepEqual(d.signed, signed);
  });

  it('round-trips arbitrary valid field values (property)', () => {
    const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 65535 }))
      .map(([a, b, c, d, port]) => `/ip4/${a}.${b}.${c}.${d}/tcp/${port}`);
    fc.assert(
      fc.property(
        fc.array(ip4, { minLength: 1, maxLength: 8 }),
        fc.string({ minLength: 1, maxLength: 64 }).filter((s) => /^[\x20-\x7e]+$/.test(s)),
        fc.integer({ min: 0, max: NOW }),
        (addresses, version, publishedAtMs) => {
          const d = verifyNodeDescriptor(crypto, signNodeDescriptor(crypto, node.key, fields({ addresses, version, publishedAtMs })), { now: NOW });
          assert.deepEqual([d.addresses, d.version, d.publishedAtMs], [addresses, version, publishedAtMs]);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses to sign DNS addresses or bad fields', () => {
    assert.throws(() => signNodeDescriptor(crypto, node.key, fields({ addresses: ['/dns4/node.example.org/tcp/4001'] })), samizdatCode('INVALID_ARGUMENT'));
    assert.throws(() => signNodeDescriptor(crypto, node.key, fields({ addresses: [] })), samizdatCode('INVALID_ARGUMENT'));
    assert.throws(() => signNodeDescriptor(crypto, node.key, fields({ addresses: Array(9).fill('/ip4/1.1.1.1/tcp/1') })), samizdatCode('INVALID_ARGUMENT'));
    assert.throws(() => signNodeDescriptor(crypto, node.key, fields({ onionMlKem: new Uint8Array(32) })), samizdatCode('INVALID_ARGUMENT'));
    assert.throws(() => signNodeDescriptor(crypto, node.key, fields({ version: 'x'.repeat(65) })), samizdatCode('INVALID_ARGUMENT'));
  });

  it('rejects a validly signed descriptor with a DNS address', () => {
    const bad = signRaw({ addresses: ['/dns6/node.example.org/tcp/4001'], onionX25519: node.onionX25519, onionMlKem: node.onionMlKem, version: 'v', publishedAtMs: BigInt(NOW) });
    assert.throws(() => verifyNodeDescriptor(crypto, bad, { now: NOW }), (err: unknown) => {
      assert.ok(err instanceof SamizdatError && err.code === 'MALFORMED' && /DNS/.test(err.message), String(err));
      return true;
    });
  });

  it('rejects bad sizes, counts and versions inside a signed body', () => {
    const base = { addresses: ['/ip4/1.2.3.4/tcp/1'], onionX25519: node.onionX25519, onionMlKem: node.onionMlKem, version: 'v', publishedAtMs: BigInt(NOW) };
    for (const patch of [
      { onionX25519: new Uint8Array(31) },
      { onionMlKem: new Uint8Array(1183) },
      { version: '' },
      { version: 'bad\u001b[2J' },
      { addresses: [] },
      { addresses: ['/ip4/1.2.3.4/tcp/1/p2p/12D3KooWAHoEkEqnKzM5PXFygh2movVBCSX3k8tDsT2cneU68Gyt'] },
      { publishedAtMs: 2n ** 60n },
    ]) {
      assert.throws(() => verifyNodeDescriptor(crypto, signRaw({ ...base, ...patch }), { now: NOW }), samizdatCode('MALFORMED'), JSON.stringify(Object.keys(patch)));
    }
  });

  it('rejects a tampered body or signature and a descriptor from the future', () => {
    const signed = signNodeDescriptor(crypto, node.key, fields());
    const tampered = signed.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    assert.throws(() => verifyNodeDescriptor(crypto, tampered, { now: NOW }), samizdatCode('BAD_SIGNATURE'));
    const future = signNodeDescriptor(crypto, node.key, fields({ publishedAtMs: NOW + MAX_CLOCK_SKEW_MS + 1 }));
    assert.throws(() => verifyNodeDescriptor(crypto, future, { now: NOW }), samizdatCode('CLOCK_SKEW'));
    assert.doesNotThrow(() => verifyNodeDescriptor(crypto, signNodeDescriptor(crypto, node.key, fields({ publishedAtMs: NOW + MAX_CLOCK_SKEW_MS })), { now: NOW }));
  });

  it('rejects non-canonical wrappers and oversize input', () => {
    const signed = signNodeDescriptor(crypto, node.key, fields());
    assert.throws(() => verifyNodeDescriptor(crypto, concatBytes(signed, new Uint8Array([0x18, 0x01])), { now: NOW }), samizdatCode('MALFORMED'));
    assert.throws(() => verifyNodeDescriptor(crypto, new Uint8Array(5000), { now: NOW }), samizdatCode('TOO_LARGE'));
  });

  it('raises only SamizdatError on random or mutated bytes', () => {
    const signed = signNodeDescriptor(crypto, node.key, fields());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), fc.nat(255), (random, pos, byte) => {
        const mutated = signed.slice();
        mutated[pos % mutated.length] = byte;
        for (const input of [random, mutated]) {
          try {
            verifyNodeDescriptor(crypto, input, { now: NOW });
          } catch (err) {
            assert.ok(err instanceof SamizdatError, String(err));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

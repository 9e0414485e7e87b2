import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../crypto/bytes.ts';
import { isSamizdatError, SamizdatError } from '../errors.ts';
import { crypto, makeAuthorities, makeNetwork } from '../../test/directory/fixtures.ts';
import { samizdatCode } from '../../test/support/providers.ts';
import { parseIpAddress, peerIdOfPublicKey, publicKeyOfPeerId } from './addresses.ts';
import { MIN_CONSENSUS_PERIOD_MS } from './limits.ts';
import { parseNetworkFile, periodStart, serializeNetworkConfig, signatureThreshold } from './network-file.ts';

const authorities = makeAuthorities(3);
const seedPeer = peerIdOfPublicKey(crypto.generateKey('ed25519').publicKey);

function fileJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    name: 'devnet',
    authorities: authorities.map((a, i) => ({ name: a.name, publicKey: toHex(a.key.publicKey), addresses: [`/ip4/127.0.0.1/tcp/${7001 + i}`] })),
    seeds: [`/ip4/127.0.0.1/tcp/7101/p2p/${seedPeer}`],
    swarmSize: 5,
    consensusPeriodMs: 60000,
    allowSameSubnet: false,
    ...overrides,
  };
}

function dnsRejected(address: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(isSamizdatError(err, 'MALFORMED'), String(err));
    assert.match(err.message, /DNS is not allowed/);
    assert.equal(err.detail.address, address);
    return true;
  };
}

describe('network file', () => {
  it('parses a valid file and derives authority peer IDs from their keys', () => {
    const config = parseNetworkFile(JSON.stringify(fileJson()));
    assert.equal(config.name, 'devnet');
    assert.equal(config.authorities.length, 3);
    for (const [i, a] of config.authorities.entries()) {
      assert.equal(a.peerId, peerIdOfPublicKey(authorities[i]?.key.publicKey ?? new Uint8Array()));
      assert.deepEqual(publicKeyOfPeerId(a.peerId), a.publicKey);
    }
    assert.deepEqual(config.seeds, [{ peerId: seedPeer, address: '/ip4/127.0.0.1/tcp/7101' }]);
    assert.equal(signatureThreshold(config), 2);
    assert.equal(periodStart(config, 125_000), 120_000);
  });

  it('round-trips through serializeNetworkConfig', () => {
    const config = parseNetworkFile(JSON.stringify(fileJson()));
    assert.deepEqual(parseNetworkFile(serializeNetworkConfig(config)), config);
    const built = makeNetwork(authorities);
    assert.deepEqual(parseNetworkFile(serializeNetworkConfig(built)), built);
  });

  it('applies defaults for optional fields', () => {
    const config = parseNetworkFile(JSON.stringify({ ...fileJson(), seeds: undefined, swarmSize: undefined, consensusPeriodMs: undefined, allowSameSubnet: undefined }));
    assert.equal(config.swarmSize, 5);
    assert.deepEqual(config.seeds, []);
    assert.equal(config.allowSameSubnet, false);
  });

  for (const address of ['/dns4/dir.example.org/tcp/7001', '/dns/dir.example.org/tcp/7001', '/dns6/x.org/tcp/1', '/dnsaddr/bootstrap.example.org']) {
    it(`rejects the DNS address ${address} for an authority and as a seed`, () => {
      const withAuthority = fileJson();
      (withAuthority.authorities as { addresses: string[] }[])[0] = {
        ...(withAuthority.authorities as { name: string; publicKey: string; addresses: string[] }[])[0]!,
        addresses: [address],
      };
      assert.throws(() => parseNetworkFile(JSON.stringify(withAuthority)), dnsRejected(address));
      const seed = `${address}/p2p/${seedPeer}`;
      assert.throws(() => parseNetworkFile(JSON.stringify(fileJson({ seeds: [seed] }))), dnsRejected(seed));
    });
  }

  it('rejects non-IP addresses, seeds without a peer ID and bad fields', () => {
    const bad = [
      fileJson({ seeds: ['/ip4/127.0.0.1/tcp/7101'] }),
      fileJson({ seeds: [`/unix/tmp/x/p2p/${seedPeer}`] }),
      fileJson({ seeds: ['not a multiaddr'] }),
      fileJson({ version: 2 }),
      fileJson({ name: 'bad name!' }),
      fileJson({ authorities: [] }),
      fileJson({ consensusPeriodMs: MIN_CONSENSUS_PERIOD_MS - 1 }),
      fileJson({ swarmSize: 0 }),
      fileJson({ allowSameSubnet: 'no' }),
      fileJson({ surprise: true }),
      fileJson({ authorities: [...(fileJson().authorities as unknown[]), (fileJson().authorities as unknown[])[0]] }),
    ];
    for (const json of bad) assert.throws(() => parseNetworkFile(JSON.stringify(json)), samizdatCode('MALFORMED'), JSON.stringify(json).slice(0, 200));
    assert.throws(() => parseNetworkFile('{'), samizdatCode('MALFORMED'));
    assert.throws(() => parseNetworkFile(' '.repeat(300_000)), samizdatCode('TOO_LARGE'));
  });

  it('raises only SamizdatError on arbitrary JSON and text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        try {
          parseNetworkFile(text);
        } catch (err) {
          assert.ok(err instanceof SamizdatError, String(err));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('addresses', () => {
  it('accepts IP literals and normalises them', () => {
    assert.deepEqual(parseIpAddress('/ip6/::1/tcp/1/ws'), { address: '/ip6/::1/tcp/1/ws', peerId: undefined });
    assert.deepEqual(parseIpAddress(`/ip4/1.2.3.4/tcp/9/p2p/${seedPeer}`), { address: '/ip4/1.2.3.4/tcp/9', peerId: seedPeer });
  });

  it('rejects DNS in any position, non-IP starts and bare IPs', () => {
    assert.throws(() => parseIpAddress('/ip4/1.2.3.4/tcp/1/dns4/x.org'), samizdatCode('MALFORMED'));
    assert.throws(() => parseIpAddress('/DNS4/x.org/tcp/1'), dnsRejected('/DNS4/x.org/tcp/1'));
    assert.throws(() => parseIpAddress('/tcp/1'), samizdatCode('MALFORMED'));
    assert.throws(() => parseIpAddress('/ip4/1.2.3.4'), samizdatCode('MALFORMED'));
    assert.throws(() => parseIpAddress(`/ip4/1.2.3.4/p2p/${seedPeer}/tcp/1`), samizdatCode('MALFORMED'));
  });

  it('raises only SamizdatError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseIpAddress(`/ip4/${text}`);
          parseIpAddress(text);
        } catch (err) {
          assert.ok(err instanceof SamizdatError, String(err));
        }
      }),
    );
  });
});

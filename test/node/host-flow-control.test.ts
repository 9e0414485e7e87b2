/**
 * Two real hosts on loopback: Yamux flow control still moves bulk data with window updates held
 * back (src/node/yamux-window-updates.ts) and Noise tuned (src/node/noise-tuning.ts: one write
 * per message, lengths read without exceptions), whether the receiver answers (updates ride on its
 * answers) or only reads (updates go out once a stream's total reaches FLUSH_AT_BYTES).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { concatBytes } from '../../src/crypto/bytes.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { createHost, type Host } from '../../src/node/host.ts';
import { RpcSession, serveSession, type PeerTarget } from '../../src/wire/index.ts';

const ECHO = '/samizdat/test/echo/1.0.0';
const SINK = '/samizdat/test/sink/1.0.0';
const TIMEOUT_MS = 30_000;

describe('host flow control with held window updates', () => {
  const crypto = createNodeCryptoProvider();
  let server: Host;
  let client: Host;
  let target: PeerTarget;
  /** Bytes the sink has read per stream, reported when the stream ends. */
  const sunk: Promise<number>[] = [];

  before(async () => {
    server = await createHost({ identitySeed: crypto.randomBytes(32), listen: ['/ip4/127.0.0.1/tcp/0'] });
    client = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
    await server.start();
    await client.start();
    await server.transport.handle(ECHO, (stream) => serveSession(stream, (body) => Promise.resolve(body)));
    await server.transport.handle(SINK, (stream) => {
      const reading = (async () => {
        let total = 0;
        for await (const chunk of stream) total += chunk instanceof Uint8Array ? chunk.length : chunk.subarray().length;
        return total;
      })();
      sunk.push(reading);
      return reading.then(() => undefined);
    });
    target = { peerId: server.peerId, addresses: server.addresses() };
  });

  after(async () => {
    await client.stop();
    await server.stop();
  });

  it('echoes 64 concurrent 90 KB requests and 500 small ones in order, bytes intact', async () => {
    const session = new RpcSession(await client.transport.dial(target, ECHO, AbortSignal.timeout(TIMEOUT_MS)));
    try {
      const bodies = Array.from({ length: 64 }, () => concatBytes(crypto.randomBytes(45_000), crypto.randomBytes(45_000)));
      const answers = await Promise.all(bodies.map((body) => session.request(body, { timeoutMs: TIMEOUT_MS })));
      answers.forEach((answer, i) => assert.deepEqual(answer, bodies[i]));
      for (let i = 0; i < 500; i++) {
        const body = crypto.randomBytes(1 + (i % 300));
        assert.deepEqual(await session.request(body, { timeoutMs: TIMEOUT_MS }), body);
      }
    } finally {
      session.close();
    }
  });

  it('moves 8 MiB one way to a reader that never writes, well past the 256 KiB window', async () => {
    const stream = await client.transport.dial(target, SINK, AbortSignal.timeout(TIMEOUT_MS));
    const chunk = crypto.randomBytes(60_000);
    const total = 140 * chunk.length;
    for (let sent = 0; sent < total; sent += chunk.length) {
      if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(TIMEOUT_MS) });
    }
    await stream.close({ signal: AbortSignal.timeout(TIMEOUT_MS) });
    const received = await sunk.at(-1);
    assert.equal(received, total);
  });
});

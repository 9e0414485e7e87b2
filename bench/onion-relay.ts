/**
 * One onion relay in its own process for the `onion` bench's path rows: a libp2p host on
 * 127.0.0.1 running the relay service with a fresh onion key and a fixed answer of `ANSWER_BYTES`
 * as its target handler (no mailbox behind it). Prints one JSON line {peerId, addresses,
 * onionPublicKey (base64)}, then serves until SIGTERM. Usage: node bench/onion-relay.ts
 */
import net from 'node:net';
import { createNodeCryptoProvider, generateHybridKeyPair } from '../src/crypto/index.ts';
import { createHost } from '../src/node/host.ts';
import { createOnionKeyRing, createRelayService } from '../src/onion/index.ts';
import { serveSession } from '../src/wire/index.ts';
import { ECHO_PROTOCOL } from './onion-path.ts';

/** About a one-message retrieve answer. */
const ANSWER_BYTES = 700;

const crypto = createNodeCryptoProvider();
const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: ['/ip4/127.0.0.1/tcp/0'] });
await host.start();
const key = generateHybridKeyPair(crypto);
const answer = crypto.randomBytes(ANSWER_BYTES);
const relay = createRelayService({ transport: host.transport, crypto, keys: createOnionKeyRing(crypto, [{ key }]), now: Date.now, deliver: () => Promise.resolve(answer) });
await relay.start();
await host.transport.handle(ECHO_PROTOCOL, (stream) => serveSession(stream, (body) => Promise.resolve(body)));
const tcpEcho = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => socket.destroy());
});
const tcpEchoPort = await new Promise<number>((resolve) => {
  tcpEcho.listen(0, '127.0.0.1', () => {
    const address = tcpEcho.address();
    resolve(typeof address === 'object' && address !== null ? address.port : 0);
  });
});
process.stdout.write(`${JSON.stringify({ peerId: host.peerId, addresses: host.addresses(), onionPublicKey: Buffer.from(key.publicKey).toString('base64'), tcpEchoPort })}\n`);
const stop = (): void => {
  tcpEcho.close();
  void relay
    .stop()
    .then(() => host.stop())
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/**
 * One onion relay in its own process for the `onion` bench's path rows: a libp2p host on
 * 127.0.0.1 running the relay service with a fresh onion key and a fixed answer of `ANSWER_BYTES`
 * as its target handler (no mailbox behind it), and echo servers, libp2p and bare TCP, each also
 * in a form that keeps the process awake (polling) between messages. Prints one JSON line
 * {peerId, addresses, onionPublicKey (base64), tcpEchoPort, tcpAwakeEchoPort}, then serves until
 * SIGTERM. Usage: node bench/onion-relay.ts
 */
import net from 'node:net';
import { createNodeCryptoProvider, generateHybridKeyPair } from '../src/crypto/index.ts';
import { createHost } from '../src/node/host.ts';
import { createOnionKeyRing, createRelayService } from '../src/onion/index.ts';
import { serveSession } from '../src/wire/index.ts';
import { ECHO_AWAKE_PROTOCOL, ECHO_PROTOCOL } from './onion-path.ts';

/** About a one-message retrieve answer. */
const ANSWER_BYTES = 700;

const crypto = createNodeCryptoProvider();
const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: ['/ip4/127.0.0.1/tcp/0'] });
await host.start();
const key = generateHybridKeyPair(crypto);
const answer = crypto.randomBytes(ANSWER_BYTES);
const relay = createRelayService({ transport: host.transport, crypto, keys: createOnionKeyRing(crypto, [{ key }]), now: Date.now, deliver: () => Promise.resolve(answer) });
await relay.start();
/**
 * How long the awake echo keeps this process polling after each answer: far longer than the
 * bench client takes to send its next message, so between two messages the process never sleeps.
 */
const AWAKE_MS = 5;
let awakeUntil = 0;
let polling = false;
/** Keeps the event loop turning (setImmediate: libuv then polls its sockets without blocking) until awakeUntil. */
const poll = (): void => {
  polling = performance.now() < awakeUntil;
  if (polling) setImmediate(poll);
};
/** After an answer, polls instead of sleeping for AWAKE_MS. */
const stayAwake = (): void => {
  awakeUntil = performance.now() + AWAKE_MS;
  if (!polling) poll();
};
/** A bare TCP echo; `awake`: after each answer the process polls instead of sleeping (the wake-up cost's control). */
const echoServer = (awake: boolean): net.Server =>
  net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      socket.write(chunk);
      if (awake) stayAwake();
    });
    socket.on('error', () => socket.destroy());
  });
const listen = (server: net.Server): Promise<number> =>
  new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
await host.transport.handle(ECHO_PROTOCOL, (stream) => serveSession(stream, (body) => Promise.resolve(body)));
await host.transport.handle(ECHO_AWAKE_PROTOCOL, (stream) =>
  serveSession(stream, (body) => {
    queueMicrotask(stayAwake); // after the answer is on its way
    return Promise.resolve(body);
  }),
);
const tcpEcho = echoServer(false);
const tcpAwakeEcho = echoServer(true);
const tcpEchoPort = await listen(tcpEcho);
const tcpAwakeEchoPort = await listen(tcpAwakeEcho);
process.stdout.write(`${JSON.stringify({ peerId: host.peerId, addresses: host.addresses(), onionPublicKey: Buffer.from(key.publicKey).toString('base64'), tcpEchoPort, tcpAwakeEchoPort })}\n`);
const stop = (): void => {
  tcpEcho.close();
  tcpAwakeEcho.close();
  void relay
    .stop()
    .then(() => host.stop())
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/**
 * The libp2p host of a node, an authority or a client: TCP and WebSocket transports, Noise,
 * Yamux, identify and ping, with the peer ID derived from the owner's Ed25519 key. Exposed to
 * services through the RpcTransport interface of src/wire, so services never see libp2p itself.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { SamizdatError } from '../errors.ts';
import { createNoiseCrypto } from '../crypto/noise-crypto.ts';
import { withTunedNoise } from './noise-tuning.ts';
import { withHeldWindowUpdates } from './yamux-window-updates.ts';
import type { PeerTarget, RpcTransport } from '../wire/index.ts';

/**
 * Streams a peer may have open at once per protocol on one connection. Generous enough for a
 * client's parallel requests and long-polls and for replication bursts; per-connection rate limits
 * (src/node) bound the work they cause.
 */
export const MAX_STREAMS_PER_PROTOCOL = 256;

/**
 * New inbound connections accepted per second from one IP address. libp2p's default of 5 is
 * too few where many peers share an address: a devnet on 127.0.0.1, a NAT in front of many phones,
 * a campus. Per-connection rate limits in the services bound what each connection can do.
 */
export const MAX_INBOUND_CONNECTIONS_PER_IP_PER_SECOND = 100;

/**
 * How often each end pings each of its connections (libp2p's connection monitor, default 10 s),
 * to find dead ones and keep NAT mappings open. Every ping is a new stream with its protocol
 * negotiation: at 10 s they were about half the CPU of an idle 12-node devnet, and they wake a
 * phone's radio six times a minute. A request on a dead connection still fails at its deadline
 * and the client rebuilds its path, so a minute only delays closing a silent connection.
 */
export const CONNECTION_PING_INTERVAL_MS = 60_000;

export interface HostOptions {
  /** 32-byte Ed25519 seed of the host's identity; the peer ID derives from it. */
  readonly identitySeed: Uint8Array;
  /** Multiaddrs to listen on, e.g. "/ip4/127.0.0.1/tcp/4001". Empty for a dial-only client. */
  readonly listen: readonly string[];
}

export interface Host {
  readonly libp2p: Libp2p;
  readonly transport: RpcTransport;
  readonly peerId: string;
  /** The multiaddrs the host listens on, without the /p2p suffix. */
  addresses(): string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Appends /p2p/PEER to an address unless it already names a peer. */
export function withPeerId(address: string, peerId: string): string {
  return address.includes('/p2p/') ? address : `${address}/p2p/${peerId}`;
}

export async function createHost(options: HostOptions): Promise<Host> {
  if (options.identitySeed.length !== 32) throw new SamizdatError('INVALID_ARGUMENT', 'identitySeed must be 32 bytes');
  const privateKey = await generateKeyPairFromSeed('Ed25519', options.identitySeed);
  const libp2p = await createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: [...options.listen] },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [withTunedNoise(noise({ crypto: createNoiseCrypto() }))],
    streamMuxers: [withHeldWindowUpdates(yamux())],
    services: { identify: identify(), ping: ping() },
    connectionManager: { inboundConnectionThreshold: MAX_INBOUND_CONNECTIONS_PER_IP_PER_SECOND },
    connectionMonitor: { pingInterval: CONNECTION_PING_INTERVAL_MS },
  });
  const peerId = libp2p.peerId.toString();

  const transport: RpcTransport = {
    peerId,
    async handle(protocol, handler) {
      await libp2p.handle(
        protocol,
        (stream, connection) => handler(stream, connection.remotePeer.toString()),
        { maxInboundStreams: MAX_STREAMS_PER_PROTOCOL, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL },
      );
    },
    async unhandle(protocol) {
      await libp2p.unhandle(protocol);
    },
    async dial(target: PeerTarget, protocol, signal) {
      const addrs = target.addresses.map((a) => multiaddr(withPeerId(a, target.peerId)));
      const stream = await libp2p.dialProtocol(addrs, protocol, { signal, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL });
      return stream;
    },
  };

  return {
    libp2p,
    transport,
    peerId,
    addresses: () => libp2p.getMultiaddrs().map((m) => m.toString().replace(/\/p2p\/[^/]+$/, '')),
    async start() {
      await libp2p.start();
    },
    async stop() {
      await libp2p.stop();
    },
  };
}

/**
 * One directory authority as a running process: its key (DIR/identity.key), a libp2p host on the
 * addresses the network file gives for it (or --listen), and the authority service of
 * src/directory, which votes and signs the consensus with the other authorities.
 */
import path from 'node:path';
import type { CryptoProvider } from '../crypto/provider.ts';
import { createAuthorityService, findAuthority, readNetworkFile, type AuthorityService, type NetworkConfig } from '../directory/index.ts';
import { SamizdatError } from '../errors.ts';
import { createHost, type Host } from './host.ts';
import { loadOrCreateIdentityKey } from './key-files.ts';
import type { Logger } from './logger.ts';

export interface AuthorityRunnerOptions {
  readonly dir: string;
  readonly networkFile: string;
  /** Listen addresses; default: this authority's addresses in the network file. */
  readonly listen?: readonly string[];
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly logger: Logger;
}

export interface RunningAuthority {
  readonly peerId: string;
  readonly addresses: readonly string[];
  readonly network: NetworkConfig;
  readonly service: AuthorityService;
  stop(): Promise<void>;
}

export async function startAuthority(options: AuthorityRunnerOptions): Promise<RunningAuthority> {
  const { crypto, logger } = options;
  const identity = loadOrCreateIdentityKey(crypto, options.dir);
  const network = await readNetworkFile(options.networkFile);
  const self = findAuthority(network, identity.key.publicKey);
  if (self === undefined) {
    throw new SamizdatError('INVALID_ARGUMENT', `the key in ${options.dir} is not an authority of network "${network.name}"; add its public key to the network file`);
  }
  const host: Host = await createHost({ identitySeed: identity.seed, listen: options.listen ?? self.addresses });
  await host.start();
  const service = createAuthorityService({
    transport: host.transport,
    crypto,
    now: options.now,
    network,
    identity: identity.key,
    cacheFile: path.join(options.dir, 'consensus.bin'),
    logger,
  });
  try {
    await service.start();
  } catch (err) {
    await host.stop();
    throw err;
  }
  logger.info('authority started', { peerId: host.peerId, addresses: host.addresses(), network: network.name });
  return {
    peerId: host.peerId,
    addresses: host.addresses(),
    network,
    service,
    async stop() {
      await service.stop();
      await host.stop();
      logger.info('authority stopped');
    },
  };
}

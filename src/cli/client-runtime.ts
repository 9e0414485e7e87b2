/**
 * What the messaging commands share: the profile (account keys and encrypted database), a libp2p
 * host that listens nowhere, the verified consensus (fetched at start, refreshed on WRONG_SWARM),
 * the onion mailbox client with the profile's pinned guards, and the messenger on top. The
 * network part (openClientNetwork) is also what `samizdat ui` gives the web server.
 */
import { existsSync } from 'node:fs';
import { connectClientNetwork, type ClientNetwork } from '../client/client-network.ts';
import { createMessenger, type Messenger } from '../client/messenger.ts';
import { openAccountProfile, type ProfileDb } from '../client/profile-db.ts';
import { readNetworkFile, type NetworkConfig } from '../directory/index.ts';
import { isSamizdatError } from '../errors.ts';
import type { AccountKeys } from '../identity/account-keys.ts';
import { createHost } from '../node/host.ts';
import type { CliIo, CommandContext } from './io.ts';
import { networkFileOf } from './network-option.ts';
import { readPassphrase } from './passphrase.ts';

export interface ClientRuntime {
  readonly keys: AccountKeys;
  readonly db: ProfileDb;
  readonly messenger: Messenger;
  close(): Promise<void>;
}

/**
 * Connects to the network of `network` for the profile in `profileDir` (its pinned guards): a
 * libp2p host that listens nowhere, the verified consensus, the onion mailbox client and the
 * swarm mailbox (src/client/client-network.ts). `follow` keeps the consensus fresh for a
 * long-running client (the web UI). close() also stops the host.
 */
export async function openClientNetwork(
  io: Pick<CliIo, 'crypto' | 'now'>,
  network: NetworkConfig,
  profileDir: string,
  options: { readonly follow?: boolean } = {},
): Promise<ClientNetwork> {
  const { crypto, now } = io;
  const host = await createHost({ identitySeed: crypto.randomBytes(32), listen: [] });
  await host.start();
  try {
    const connected = await connectClientNetwork({ transport: host.transport, crypto, now, network, guardDir: profileDir, follow: options.follow === true });
    return {
      ...connected,
      async close() {
        try {
          await connected.close();
        } finally {
          await host.stop();
        }
      },
    };
  } catch (err) {
    await host.stop();
    throw err;
  }
}

/** Opens the profile, then the network (in that order, so a wrong passphrase fails before any dial). */
export async function openClientRuntime(ctx: CommandContext): Promise<ClientRuntime> {
  const { crypto, now } = ctx.io;
  const network = await readNetworkFile(networkFileOf(ctx.io, ctx.global));
  const { keys, db } = openAccountProfile({ dir: ctx.global.profile, crypto, now, passphrase: readPassphrase(ctx.io, ctx.global) });
  const closers: (() => Promise<void> | void)[] = [() => db.close()];
  const close = async (): Promise<void> => {
    for (const fn of closers.reverse()) await fn();
  };
  try {
    const connected = await openClientNetwork(ctx.io, network, ctx.global.profile);
    closers.push(() => connected.close());
    const messenger = createMessenger({
      crypto,
      now,
      db,
      keys,
      swarm: connected.swarm,
      mailbox: connected.mailbox,
      prekeyRotationMs: connected.prekeyRotationMs,
      onUndecryptable: (code, from) =>
        ctx.io.stderr(
          from === undefined
            ? `note: a message could not be opened (${code}) and was dropped\n`
            : `note: a message from ${db.contacts.get(from)?.name ?? from} could not be decrypted (${code}); your next message to them starts a new secure session\n`,
        ),
    });
    return { keys, db, messenger, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * After `account create` / `restore`: when the network file exists, publish the new account's
 * prekey bundle so others can write to it at once; otherwise (or when the network cannot be
 * reached) say how to do it later. Never fails the command: the account exists either way.
 */
export async function publishBundleIfOnline(ctx: CommandContext): Promise<void> {
  const file = networkFileOf(ctx.io, ctx.global);
  if (!existsSync(file)) {
    ctx.io.stderr(`note: no network file at ${file}; others can write to you once you run \`samizdat inbox\` on a network\n`);
    return;
  }
  try {
    const runtime = await openClientRuntime(ctx);
    try {
      await runtime.messenger.prepare();
    } finally {
      await runtime.close();
    }
    ctx.io.stderr('published your prekey bundle: others can now write to you\n');
  } catch (err) {
    const code = isSamizdatError(err) ? err.code : 'INTERNAL';
    ctx.io.stderr(`note: could not reach the network (${code}); others can write to you once you run \`samizdat inbox\` online\n`);
  }
}

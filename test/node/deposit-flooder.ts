/**
 * The flooding side of deposit-flood.test.ts, as its own process so that the flood competes with
 * the nodes for the machine, not for their event loop (a real flood comes from other machines).
 *
 * Usage: node deposit-flooder.ts <json config on argv[2]>
 *   { targets: PeerTarget[], account: hex, count, clients, window, bits }
 * Prints {"event":"ready"} once every proof is computed and every client is connected, waits for a
 * line on standard input, floods, then prints {"event":"done", storedAt, limited, unexpected}.
 */
import { createInterface } from 'node:readline';
import { createMailboxClient, type MailboxClient } from '../../src/client/mailbox-client.ts';
import { fromHex } from '../../src/crypto/bytes.ts';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { isSamizdatError } from '../../src/errors.ts';
import { solveDepositPow } from '../../src/identity/deposit-proof.ts';
import type { PeerTarget } from '../../src/wire/index.ts';
import { startClientHost } from './mailbox-cluster.ts';

interface Config {
  readonly targets: PeerTarget[];
  readonly account: string;
  readonly count: number;
  readonly clients: number;
  readonly window: number;
  readonly bits: number;
  readonly ttlMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const crypto = createNodeCryptoProvider();
const account = fromHex(config.account);

const deposits: { body: Uint8Array; powNonce: Uint8Array }[] = [];
for (let i = 0; i < config.count; i++) {
  const body = crypto.randomBytes(200);
  deposits.push({ body, powNonce: await solveDepositPow(crypto, account, body, config.bits) });
}
const hosts = await Promise.all(Array.from({ length: config.clients }, () => startClientHost(crypto)));
const clients: MailboxClient[] = hosts.map((h) => createMailboxClient({ transport: h.transport, crypto, now: Date.now }));
// Open every session before the flood starts (a retrieve of a bundle needs no key).
await Promise.all(clients.flatMap((c) => config.targets.map((t) => c.retrieve(t, { account, namespace: 'bundle', limit: 1 }))));

process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));

const storedAt = config.targets.map(() => 0);
let limited = 0;
const unexpected: string[] = [];
let sent = 0;
let next = 0;
const worker = async (client: MailboxClient): Promise<void> => {
  while (next < deposits.length) {
    const d = deposits[next++];
    if (d === undefined) break;
    const member = sent++ % config.targets.length;
    const target = config.targets[member];
    if (target === undefined) break;
    try {
      await client.store(target, { account, namespace: 'inbox', body: d.body, ttlMs: config.ttlMs, proof: { powNonce: d.powNonce } });
      storedAt[member] = (storedAt[member] ?? 0) + 1;
    } catch (err) {
      if (isSamizdatError(err, 'RATE_LIMITED') && (err.retryAfterMs ?? 0) > 0) limited += 1;
      else unexpected.push(isSamizdatError(err) ? err.code : String(err));
    }
  }
};
await Promise.all(clients.flatMap((c) => Array.from({ length: config.window }, () => worker(c))));
process.stdout.write(`${JSON.stringify({ event: 'done', storedAt, limited, unexpected: unexpected.slice(0, 20) })}\n`);
for (const c of clients) c.close();
await Promise.all(hosts.map((h) => h.stop()));
lines.close();

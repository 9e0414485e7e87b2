/**
 * Child process of commit-fail.test.ts, run under `ulimit -f` (a file-size limit) so the mailbox
 * store's group commit really fails (EFBIG; SIGXFSZ is ignored so write() fails instead of killing
 * us). Sends 8 stores of 60 KiB in one turn (one group transaction larger than the limit) to a
 * mailbox service whose replication takes REPLICATE_MS (none when unset), and prints one JSON line:
 * each answer's case and how many items the store holds after reopening.
 * Usage: node test/node/commit-fail-child.ts DIR [REPLICATE_MS]
 */
import { create } from '@bufbuild/protobuf';
import { createNodeCryptoProvider } from '../../src/crypto/index.ts';
import { createMailboxService } from '../../src/node/mailbox-service.ts';
import { openMailboxStore } from '../../src/node/mailbox-store.ts';
import type { ReplicationService } from '../../src/node/replication.ts';
import type { SwarmView } from '../../src/node/swarm-view.ts';
import { MailboxRequestSchema, MailboxResponseSchema, StoreRequestSchema } from '../../src/wire/gen/samizdat/v1/mailbox_pb.ts';
import { decodeMessage, encodeMessage, type RpcTransport } from '../../src/wire/index.ts';

process.on('SIGXFSZ', () => undefined);
const [dir, replicateArg] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: commit-fail-child.ts DIR [REPLICATE_MS]');
const crypto = createNodeCryptoProvider();
const path = `${dir}/mailbox.db`;
const store = openMailboxStore({ path, crypto, now: Date.now });
const swarm = { selfNodeId: new Uint8Array(32), swarmOf: () => [], isNode: () => false, onChange: () => () => undefined } as unknown as SwarmView;
const replication =
  replicateArg === undefined
    ? undefined
    : ({
        replicate: async () => {
          await new Promise((resolve) => setTimeout(resolve, Number(replicateArg)));
          return 1;
        },
        onStored: () => () => undefined,
        replicateDelete: () => undefined,
      } as unknown as ReplicationService);
const service = createMailboxService({
  transport: {} as RpcTransport,
  store,
  swarm,
  crypto,
  now: Date.now,
  ...(replication === undefined ? {} : { replication }),
  limits: { depositPowBits: 0 },
});
const account = crypto.randomBytes(32);
const request = (): Uint8Array =>
  encodeMessage(
    MailboxRequestSchema,
    create(MailboxRequestSchema, { request: { case: 'store', value: create(StoreRequestSchema, { account, namespace: 'inbox', body: crypto.randomBytes(60_000), ttlMs: 3_600_000n }) } }),
  );
const answers = await Promise.all(
  Array.from({ length: 8 }, async () => {
    const response = decodeMessage(MailboxResponseSchema, await service.answer(request(), new AbortController().signal)).response;
    return response.case === 'error' ? `error ${response.value.code}` : String(response.case);
  }),
);
store.close();
const reopened = openMailboxStore({ path, crypto, now: Date.now });
const held = reopened.usage(account, 'inbox').messages;
reopened.close();
process.stdout.write(`${JSON.stringify({ answers, held })}\n`);

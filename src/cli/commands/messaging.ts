/** `samizdat send | watch | inbox | history`: end-to-end encrypted messages over onion paths. */
import type { IncomingMessage } from '../../client/messenger.ts';
import type { MessageRecord } from '../../client/conversations.ts';
import { decodeAccountId, encodeAccountId } from '../../identity/account-id.ts';
import { SamizdatError, isSamizdatError } from '../../errors.ts';
import { openClientRuntime, type ClientRuntime } from '../client-runtime.ts';
import type { CommandSpec } from '../command.ts';
import { printJson, type CommandContext } from '../io.ts';
import { openAccountProfile } from '../../client/profile-db.ts';
import { readPassphrase } from '../passphrase.ts';

/** How long one watch long-poll waits at a node (the node caps it at 30 s). */
const WATCH_POLL_MS = 25_000;
/** Pause after a failed poll before the next, doubling up to the maximum. */
const WATCH_RETRY_MS = 500;
const WATCH_MAX_RETRY_MS = 15_000;

async function withRuntime<T>(ctx: CommandContext, fn: (runtime: ClientRuntime) => Promise<T>): Promise<T> {
  const runtime = await openClientRuntime(ctx);
  try {
    await runtime.messenger.prepare();
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

function incomingJson(m: IncomingMessage): Record<string, unknown> {
  return { id: m.id, from: m.from, fromName: m.request ? null : m.fromName, text: m.text, sentAt: m.sentAt, receivedAt: m.receivedAt, request: m.request };
}

/** Prints one incoming event: a message (requests marked, text only), or a note that a request was accepted. */
function printIncoming(ctx: CommandContext, m: IncomingMessage): void {
  if (m.sessionReset) ctx.io.stderr(`note: ${m.fromName ?? m.from} started a new secure session; if you did not expect this, verify them again\n`);
  if (m.identityChanged) {
    ctx.io.stderr(`WARNING: ${m.fromName ?? m.from}'s safety code has changed since you verified it; someone else may hold their account. Check it with \`samizdat contact verify ${m.fromName ?? m.from}\` before trusting this message\n`);
  }
  if (m.kind === 'accepted') {
    if (!ctx.global.json) ctx.io.stderr(`note: ${m.fromName ?? m.from} accepted your message request\n`);
    return;
  }
  if (ctx.global.json) {
    printJson(ctx.io, incomingJson(m));
    return;
  }
  const who = m.request ? `[request from ${m.from}]` : (m.fromName ?? m.from);
  const text = m.identityChanged ? '[held until you verify them again]' : m.text;
  ctx.io.stdout(`${new Date(m.sentAt).toISOString()}  ${who}: ${text}\n`);
  if (m.request) ctx.io.stderr('note: this account is not your contact; see `samizdat requests` to accept, decline or block\n');
}

export const send: CommandSpec = {
  path: ['send'],
  summary: 'send an end-to-end encrypted message to a contact or an Account ID',
  args: 'NAME_OR_ID TEXT',
  options: {},
  positionals: { min: 2, max: 2 },
  details: [
    'Returns once at least 2 members of the recipient\'s swarm hold the message, and prints its id;',
    'a recipient who is offline gets it when next online (messages wait up to 14 days).',
    'Everything travels over onion paths; the nodes store only a sealed envelope.',
    '--json prints {"id", "to", "replicas"}.',
  ],
  async run(ctx) {
    const [to = '', text = ''] = ctx.positionals;
    if (text.length === 0) throw new SamizdatError('USAGE', 'the message text is empty');
    const result = await withRuntime(ctx, (runtime) => runtime.messenger.send(to, text));
    if (result.sessionReset) ctx.io.stderr('note: the secure session with this contact could not be read, so a new one was started\n');
    if (ctx.global.json) printJson(ctx.io, { id: result.id, to, replicas: result.replicas });
    else ctx.io.stdout(`sent ${result.id} (stored on ${result.replicas} swarm members)\n`);
    return 0;
  },
};

export const inbox: CommandSpec = {
  path: ['inbox'],
  summary: 'fetch new messages and print them',
  options: {},
  positionals: { min: 0, max: 0 },
  details: ['--json prints an array of {"id", "from", "fromName", "text", "sentAt", "receivedAt", "request"} (times in ms since the epoch).'],
  async run(ctx) {
    const messages = (await withRuntime(ctx, (runtime) => runtime.messenger.receive())).filter((m) => m.kind === 'text' || !ctx.global.json);
    if (ctx.global.json) printJson(ctx.io, messages.map(incomingJson));
    else if (messages.length === 0) ctx.io.stdout('no new messages\n');
    else for (const m of messages) printIncoming(ctx, m);
    return 0;
  },
};

export const watch: CommandSpec = {
  path: ['watch'],
  summary: 'print each incoming message as it arrives, until Ctrl-C',
  options: {},
  positionals: { min: 0, max: 0 },
  details: [
    'Keeps a long-poll open through an onion path, so a message shows within about one path round trip.',
    '--json prints one line per message: {"id", "from", "fromName", "text", "sentAt", "receivedAt", "request"}',
    '(request: true for a message request from an account that is not a contact; its fromName is null).',
  ],
  async run(ctx) {
    const stop = new AbortController();
    const stopped = ctx.io.shutdownSignal().then(() => stop.abort());
    void stopped;
    await withRuntime(ctx, async (runtime) => {
      ctx.io.stderr(`watching for messages to ${runtime.keys.accountId} (Ctrl-C to stop)\n`);
      let retryMs = WATCH_RETRY_MS;
      while (!stop.signal.aborted) {
        try {
          // Rotates the prekeys and republishes the bundle when due, so a watch left running for
          // weeks stays reachable (cheap when nothing is due: two database reads).
          await runtime.messenger.prepare();
          const messages = await runtime.messenger.receive({ waitMs: WATCH_POLL_MS, signal: stop.signal });
          for (const m of messages) printIncoming(ctx, m);
          retryMs = WATCH_RETRY_MS;
        } catch (err) {
          if (stop.signal.aborted) break;
          const code = isSamizdatError(err) ? err.code : 'INTERNAL';
          ctx.io.stderr(`could not reach the inbox (${code}); retrying in ${Math.round(retryMs / 1000)} s\n`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, retryMs);
            stop.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            }, { once: true });
          });
          retryMs = Math.min(WATCH_MAX_RETRY_MS, retryMs * 2);
        }
      }
    });
    return 0;
  },
};

function recordJson(peerAccountId: string, peerName: string | null, m: MessageRecord): Record<string, unknown> {
  // A held message (a verified contact's keys changed) is not shown until they are verified again.
  return { id: m.id, direction: m.direction, peer: peerAccountId, peerName, text: m.state === 'held' ? '' : m.text, sentAt: m.sentAt, receivedAt: m.receivedAt, state: m.state };
}

export const history: CommandSpec = {
  path: ['history'],
  summary: 'print a conversation from the local store',
  args: 'NAME_OR_ID',
  options: {},
  positionals: { min: 1, max: 1 },
  details: [
    'Reads only the profile database (no network).',
    '--json prints an array of {"id", "direction" ("in" | "out"), "peer", "peerName", "text", "sentAt", "receivedAt",',
    '"state" ("sending" | "stored" | "failed" | "received" | "held": text hidden until the contact is verified again)}, oldest first.',
  ],
  run(ctx) {
    const ref = ctx.positionals[0] ?? '';
    const { db } = openAccountProfile({ dir: ctx.global.profile, crypto: ctx.io.crypto, now: ctx.io.now, passphrase: readPassphrase(ctx.io, ctx.global) });
    try {
      const contact = db.contacts.get(ref);
      let peer: Uint8Array;
      if (contact !== undefined) peer = contact.identityKey;
      else {
        try {
          peer = decodeAccountId(ref); // a stranger who wrote first has a conversation but no contact
        } catch {
          throw new SamizdatError('NOT_FOUND', `"${ref}" is neither a contact nor a valid Account ID`);
        }
      }
      const peerId = encodeAccountId(peer);
      const records = db.messages.list(peer);
      if (ctx.global.json) printJson(ctx.io, records.map((m) => recordJson(peerId, contact?.name ?? null, m)));
      else if (records.length === 0) ctx.io.stdout('no messages yet\n');
      else {
        for (const m of records) {
          const who = m.direction === 'out' ? 'you' : (contact?.name ?? peerId);
          const state = m.direction === 'out' && m.state !== 'stored' ? ` [${m.state}]` : '';
          const text = m.state === 'held' ? `[held: their safety code changed; \`samizdat contact verify ${contact?.name ?? peerId}\` to read it]` : m.text;
          ctx.io.stdout(`${new Date(m.sentAt).toISOString()}  ${who}: ${text}${state}\n`);
        }
      }
    } finally {
      db.close();
    }
    return Promise.resolve(0);
  },
};

/**
 * The ID of a stored mailbox item, part of the mailbox contract (node and client compute it the
 * same way): SHA-256("samizdat/v1/message-id" || namespace || 0x00 || account || body). It names
 * the content, so a client that computes it itself from what it retrieved knows a body it has
 * already read even when a node serves it again under another ID.
 */
import type { CryptoProvider } from '../crypto/provider.ts';

/** The mailbox namespaces (src/node/mailbox-store-api.ts). */
export type MailboxNamespace = 'inbox' | 'bundle' | 'config';

const MESSAGE_ID_LABEL = new TextEncoder().encode('samizdat/v1/message-id');
const NAMESPACE_BYTES: Readonly<Record<MailboxNamespace, Uint8Array>> = {
  inbox: new TextEncoder().encode('inbox'),
  bundle: new TextEncoder().encode('bundle'),
  config: new TextEncoder().encode('config'),
};

export function messageId(crypto: CryptoProvider, namespace: MailboxNamespace, account: Uint8Array, body: Uint8Array): Uint8Array {
  const ns = NAMESPACE_BYTES[namespace];
  const input = new Uint8Array(MESSAGE_ID_LABEL.length + ns.length + 1 + account.length + body.length);
  input.set(MESSAGE_ID_LABEL, 0);
  input.set(ns, MESSAGE_ID_LABEL.length);
  input.set(account, MESSAGE_ID_LABEL.length + ns.length + 1);
  input.set(body, MESSAGE_ID_LABEL.length + ns.length + 1 + account.length);
  return crypto.hash('sha256', input);
}

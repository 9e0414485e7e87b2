/**
 * Every SQL statement of the mailbox store (tables in mailbox-store-schema.ts), prepared once when
 * the store opens and reused: `put` and `list` are on the node's hot path.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export function prepareMailboxQueries(db: DatabaseSync) {
  const prepare = (sql: string): StatementSync => db.prepare(sql);
  return {
    byId: prepare('SELECT cursor, account, ns, expires_at FROM message WHERE id = ?'),
    extend: prepare('UPDATE message SET expires_at = ? WHERE id = ? AND expires_at < ?'),
    insert: prepare('INSERT INTO message (account, ns, id, body, expires_at) VALUES (?, ?, ?, ?, ?)'),
    deleteById: prepare('DELETE FROM message WHERE id = ?'),
    deleteOne: prepare('DELETE FROM message WHERE id = ? AND account = ? AND ns = ? RETURNING length(body) AS size, expires_at'),
    mailboxItems: prepare('SELECT id, expires_at, length(body) AS size FROM message WHERE account = ? AND ns = ?'),
    mailboxExpired: prepare('SELECT id, length(body) AS size FROM message WHERE account = ? AND ns = ? AND expires_at <= ?'),
    expiredBatch: prepare('SELECT account, ns, id, length(body) AS size FROM message WHERE expires_at <= ? ORDER BY expires_at LIMIT ?'),
    list: prepare(
      'SELECT cursor, id, body, expires_at FROM message WHERE account = ? AND ns = ? AND cursor > ? AND expires_at > ? ORDER BY cursor LIMIT ?',
    ),
    ids: prepare('SELECT id FROM message WHERE account = ? AND ns = ? ORDER BY id'),
    getOne: prepare('SELECT body, expires_at FROM message WHERE id = ? AND account = ? AND ns = ? AND expires_at > ?'),
    aggGet: prepare('SELECT count, bytes, digest FROM mailbox WHERE account = ? AND ns = ?'),
    aggPut: prepare('INSERT OR REPLACE INTO mailbox (account, ns, count, bytes, digest) VALUES (?, ?, ?, ?, ?)'),
    aggDelete: prepare('DELETE FROM mailbox WHERE account = ? AND ns = ?'),
    digests: prepare('SELECT account, ns, digest, count FROM mailbox ORDER BY account, ns'),
    storage: prepare('SELECT bytes FROM storage WHERE id = 0'),
    totals: prepare('SELECT count(*) AS mailboxes, coalesce(sum(count), 0) AS messages, coalesce(sum(bytes), 0) AS bytes FROM mailbox'),
    accounts: prepare('SELECT DISTINCT account FROM mailbox ORDER BY account'),
    dropMessages: prepare('DELETE FROM message WHERE account = ?'),
    dropMailboxes: prepare('DELETE FROM mailbox WHERE account = ?'),
    nonceInsert: prepare('INSERT INTO nonce (account, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    nonceSweep: prepare('DELETE FROM nonce WHERE expires_at <= ?'),
    tombstoneLive: prepare('SELECT 1 AS live FROM tombstone WHERE account = ? AND ns = ? AND id = ? AND expires_at > ?'),
    // A later expiry brings its proof along (the proof of the earlier one may expire first).
    tombstonePut: prepare(
      `INSERT INTO tombstone (account, ns, id, expires_at, proof, held) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, ns, id) DO UPDATE SET
         proof = CASE WHEN excluded.proof IS NOT NULL AND (proof IS NULL OR excluded.expires_at > expires_at) THEN excluded.proof ELSE proof END,
         expires_at = max(expires_at, excluded.expires_at),
         held = max(held, excluded.held)`,
    ),
    tombstonesUnheld: prepare('SELECT count(*) AS n FROM tombstone WHERE account = ? AND ns = ? AND held = 0'),
    proofPut: prepare(
      'INSERT INTO delete_proof (key, account, ns, auth, ids, expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)',
    ),
    proofGet: prepare('SELECT account, ns, auth, ids FROM delete_proof WHERE key = ? AND expires_at > ?'),
    proofSweep: prepare('DELETE FROM delete_proof WHERE expires_at <= ?'),
    dropProofs: prepare('DELETE FROM delete_proof WHERE account = ?'),
    tombstoneIds: prepare('SELECT id FROM tombstone WHERE account = ? AND ns = ? AND expires_at > ? ORDER BY id'),
    tombstonesAfter: prepare('SELECT seq, account, ns, id, expires_at, proof FROM tombstone WHERE seq > ? AND expires_at > ? ORDER BY seq LIMIT ?'),
    tombstoneAccounts: prepare('SELECT DISTINCT account FROM tombstone ORDER BY account'),
    tombstoneSweep: prepare('DELETE FROM tombstone WHERE expires_at <= ?'),
    dropTombstones: prepare('DELETE FROM tombstone WHERE account = ?'),
  };
}

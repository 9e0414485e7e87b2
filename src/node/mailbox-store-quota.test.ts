import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { isSamizdatError } from '../errors.ts';
import { MIGRATIONS, STORED_ROW_OVERHEAD_BYTES, openDatabase } from './mailbox-store-schema.ts';
import { messageId, openMailboxStore, type MailboxStore, type Namespace, type ReplicaInput } from './mailbox-store.ts';
import { codeOf } from '../../test/support/error-code.ts';
import { HOUR, T0, alice, bob, createStoreFixture, text } from '../../test/support/mailbox-store-fixture.ts';

const { crypto, freshPath, open } = createStoreFixture();
const O = STORED_ROW_OVERHEAD_BYTES;

/** The storage count recomputed from the tables, as migration V4 defines it (committed rows). */
function recount(file: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const one = (sql: string): number => Number(db.prepare(sql).get()?.['n'] ?? 0);
    return (
      one(`SELECT coalesce(sum(length(body)), 0) + count(*) * ${O} AS n FROM message`) +
      one(`SELECT count(*) * ${O} AS n FROM tombstone`) +
      one(`SELECT coalesce(sum(length(auth) + length(ids)), 0) + count(*) * ${O} AS n FROM delete_proof`)
    );
  } finally {
    db.close();
  }
}

const storage = (store: MailboxStore): number => store.totals().storageBytes;

function fullError(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('mailbox store: the node storage quota', () => {
  it('counts bodies and row overheads of messages and tombstones, and gives them back', async () => {
    const { store, file } = open();
    assert.equal(storage(store), 0);
    assert.equal(store.hasRoom(), true);
    const a = store.put(alice, 'inbox', new Uint8Array(100).fill(1), HOUR);
    store.put(bob, 'config', new Uint8Array(50).fill(2), HOUR);
    assert.equal(storage(store), 150 + 2 * O);
    assert.equal(store.put(alice, 'inbox', new Uint8Array(100).fill(1), HOUR).inserted, false, 'a duplicate adds nothing');
    assert.equal(storage(store), 150 + 2 * O);
    assert.equal(store.delete(alice, 'inbox', [a.id]), 1);
    assert.equal(storage(store), 50 + O + O, 'the message is gone, its tombstone stays');
    assert.equal(store.totals().bytes, 50, 'totals().bytes still counts bodies only');
    await store.durable();
    assert.equal(recount(file), storage(store));
    assert.equal(store.dropAccount(bob), 1);
    assert.equal(store.dropAccount(alice), 0);
    assert.equal(storage(store), 0, 'dropping the accounts drops their tombstones too');
    store.close();
  });

  it('refuses puts past the quota with STORAGE_FULL on every mailbox, keeps what it holds, and takes deletes', () => {
    const room = 3 * (300 + O);
    const { store } = open({ maxStorageBytes: room });
    const kept = [1, 2, 3].map((i) => store.put(i === 3 ? bob : alice, 'inbox', new Uint8Array(300).fill(i), HOUR));
    assert.equal(storage(store), room);
    assert.equal(store.hasRoom(), false, 'no room for an item of the largest size');
    const error = fullError(() => store.put(alice, 'inbox', text('one more'), HOUR));
    assert.ok(isSamizdatError(error, 'STORAGE_FULL'), String(error));
    assert.match(error.message, /another member of the swarm/);
    assert.equal(codeOf(() => store.put(bob, 'config', text('x'), HOUR)), 'STORAGE_FULL', 'the quota is node-wide');
    assert.equal(store.list(alice, 'inbox', 0n, 10).items.length, 2);
    assert.equal(storage(store), room, 'a refused put leaves the count as it was');
    // A full node still deletes, and the room it frees is usable again.
    assert.equal(store.delete(alice, 'inbox', [kept[0]?.id ?? assert.fail()]), 1);
    assert.equal(storage(store), room - 300, 'the message gave back 300 + O, its tombstone took O');
    assert.equal(codeOf(() => store.put(alice, 'inbox', new Uint8Array(300 - O + 1).fill(9), HOUR)), 'STORAGE_FULL');
    assert.equal(store.put(alice, 'inbox', new Uint8Array(300 - O).fill(9), HOUR).inserted, true);
    assert.equal(storage(store), room);
    store.close();
  });

  it('refuses replicas past the quota, and tombstones of IDs it never held when full', () => {
    const source = open().store;
    const ids = [1, 2].map((i) => source.put(alice, 'inbox', new Uint8Array(200).fill(i), HOUR).id);
    const items = source.get(alice, 'inbox', ids);
    const { store } = open({ maxStorageBytes: 200 + O + 50 });
    assert.equal(store.putReplica(items[0] ?? assert.fail()), 'inserted');
    assert.equal(store.putReplica(items[1] ?? assert.fail()), 'refused');
    assert.equal(store.usage(alice, 'inbox').messages, 1);
    // The node has 50 bytes left: not enough for the tombstone of an ID it never held.
    assert.equal(store.delete(alice, 'inbox', [ids[1] ?? assert.fail()]), 0);
    assert.equal(store.tombstones(alice, 'inbox').length, 0);
    // A held one is deleted and tombstoned (the tombstone takes less than the message gave back).
    assert.equal(store.delete(alice, 'inbox', [ids[0] ?? assert.fail()]), 1);
    assert.equal(store.tombstones(alice, 'inbox').length, 1);
    assert.equal(storage(store), O);
    source.close();
    store.close();
  });

  it('lets a bundle be replaced at a full node when the new one is no larger, atomically otherwise', () => {
    const { store } = open({ maxStorageBytes: 2 * (300 + O) });
    store.put(alice, 'inbox', new Uint8Array(300).fill(1), HOUR);
    const old = store.put(bob, 'bundle', new Uint8Array(300).fill(2), HOUR);
    assert.equal(codeOf(() => store.put(bob, 'bundle', new Uint8Array(301).fill(3), HOUR)), 'STORAGE_FULL');
    assert.deepEqual(store.ids(bob, 'bundle'), [old.id], 'the refused replacement left the old bundle');
    const next = store.put(bob, 'bundle', new Uint8Array(300).fill(4), HOUR);
    assert.deepEqual(store.ids(bob, 'bundle'), [next.id]);

    const source = open().store;
    const bigger = source.get(bob, 'bundle', [source.put(bob, 'bundle', new Uint8Array(400).fill(5), 2 * HOUR).id])[0];
    const same = source.get(bob, 'bundle', [source.put(bob, 'bundle', new Uint8Array(300).fill(6), 3 * HOUR).id])[0];
    assert.equal(store.putReplica(bigger ?? assert.fail()), 'refused');
    assert.deepEqual(store.ids(bob, 'bundle'), [next.id]);
    assert.equal(store.putReplica(same ?? assert.fail()), 'inserted');
    assert.deepEqual(store.ids(bob, 'bundle'), [same?.id]);
    assert.equal(storage(store), 2 * (300 + O));
    source.close();
    store.close();
  });

  it('has room while an item of the largest size still fits', () => {
    const { store } = open({ maxBodyBytes: 1_000, maxStorageBytes: 2 * (1_000 + O) });
    store.put(alice, 'inbox', new Uint8Array(1_000).fill(1), HOUR);
    assert.equal(store.hasRoom(), true);
    store.put(alice, 'inbox', new Uint8Array(1).fill(2), HOUR);
    assert.equal(store.hasRoom(), false, 'a 1-byte item still fits, a 1,000-byte one does not');
    assert.equal(store.put(bob, 'inbox', new Uint8Array(1).fill(3), HOUR).inserted, true, 'small items are still taken');
    store.close();
  });

  it('makes room by dropping the mailbox\'s own expired items', () => {
    const { store, clock } = open({ maxStorageBytes: 2 * (100 + O) });
    store.put(alice, 'inbox', new Uint8Array(100).fill(1), 1000);
    store.put(bob, 'inbox', new Uint8Array(100).fill(2), HOUR);
    assert.equal(codeOf(() => store.put(alice, 'inbox', new Uint8Array(100).fill(3), HOUR)), 'STORAGE_FULL');
    clock.t += 1000;
    assert.equal(store.put(alice, 'inbox', new Uint8Array(100).fill(3), HOUR).inserted, true);
    assert.equal(store.usage(alice, 'inbox').messages, 1);
    store.close();
  });

  it('with the free disk space known, refuses items that would leave less than minFreeDiskBytes free', () => {
    let free = 10_000;
    const store = openMailboxStore({ path: freshPath(), crypto, now: () => T0, limits: { minFreeDiskBytes: 5_000 }, freeDiskBytes: () => free });
    assert.equal(store.put(alice, 'inbox', new Uint8Array(4_000).fill(1), HOUR).inserted, true, '10,000 - 4,128 leaves more than 5,000');
    free = 9_000;
    const error = fullError(() => store.put(alice, 'inbox', new Uint8Array(4_000).fill(2), HOUR));
    assert.ok(isSamizdatError(error, 'STORAGE_FULL'), String(error));
    assert.match(error.message, /disk is full/);
    assert.equal(store.putReplica({ account: bob, namespace: 'inbox', id: messageId(crypto, 'inbox', bob, text('r')), body: text('r'), expiresAtMs: T0 + HOUR }), 'inserted', 'a small one still fits');
    free = 5_000;
    assert.equal(store.putReplica({ account: bob, namespace: 'inbox', id: messageId(crypto, 'inbox', bob, text('s')), body: text('s'), expiresAtMs: T0 + HOUR }), 'refused');
    assert.equal(store.list(alice, 'inbox', 0n, 10).items.length, 1, 'what it held stays');
    assert.equal(codeOf(() => openMailboxStore({ path: freshPath(), crypto, now: () => T0, freeDiskBytes: 5 as unknown as () => number })), 'INVALID_ARGUMENT');
    store.close();
  });

  it('keeps the count equal to the tables over any sequence of writes (property)', async () => {
    const ns: Namespace[] = ['inbox', 'bundle', 'config'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), who: fc.boolean(), ns: fc.constantFrom(...ns), size: fc.integer({ min: 1, max: 400 }), seed: fc.nat(255), ttl: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('delete' as const), who: fc.boolean(), ns: fc.constantFrom(...ns), pick: fc.nat(), unheld: fc.boolean() }),
      fc.record({ kind: fc.constant('replica' as const), who: fc.boolean(), ns: fc.constantFrom(...ns), size: fc.integer({ min: 1, max: 400 }), seed: fc.nat(255) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 3000 }), sweep: fc.boolean() }),
      fc.record({ kind: fc.constant('drop' as const), who: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer({ min: 500, max: 4000 }), async (ops, quota) => {
        const { store, clock, file } = open({ maxStorageBytes: quota });
        const source = open().store;
        for (const o of ops) {
          const account = 'who' in o && o.who ? alice : bob;
          try {
            if (o.kind === 'put') store.put(account, o.ns, new Uint8Array(o.size).fill(o.seed), o.ttl);
            else if (o.kind === 'replica') {
              source.put(account, o.ns, new Uint8Array(o.size).fill(o.seed), HOUR);
              const item: ReplicaInput | undefined = source.get(account, o.ns, source.ids(account, o.ns)).at(-1);
              if (item !== undefined) store.putReplica({ ...item, expiresAtMs: clock.t + HOUR });
            } else if (o.kind === 'delete') {
              const ids = store.ids(account, o.ns);
              const id = o.unheld || ids.length === 0 ? new Uint8Array(32).fill(o.pick % 256) : ids[o.pick % ids.length];
              store.delete(account, o.ns, [id ?? assert.fail()]);
            } else if (o.kind === 'tick') {
              clock.t += o.ms;
              if (o.sweep) store.sweepExpired();
            } else store.dropAccount(account);
          } catch (err) {
            if (!isSamizdatError(err, 'STORAGE_FULL') && !isSamizdatError(err, 'TOO_LARGE')) throw err;
          }
          assert.ok(storage(store) <= quota || o.kind === 'delete', 'only deletes may leave the count above the quota');
        }
        await store.durable();
        assert.equal(recount(file), storage(store));
        store.close();
        source.close();
      }),
      { numRuns: 40 },
    );
  });

  it('keeps the count right through an UPDATE of a body or proof and a REPLACE (as the store opens the database)', async () => {
    const { store, file } = open();
    const a = store.put(alice, 'inbox', new Uint8Array(100).fill(1), HOUR);
    store.put(bob, 'inbox', new Uint8Array(50).fill(2), HOUR);
    await store.durable();
    store.close();
    const db = openDatabase(file);
    db.prepare('UPDATE message SET body = ? WHERE id = ?').run(new Uint8Array(300), a.id);
    db.prepare('INSERT OR REPLACE INTO message (cursor, account, ns, id, body, expires_at) SELECT cursor, account, ns, id, ?, expires_at FROM message WHERE id = ?').run(new Uint8Array(7), a.id);
    db.prepare('INSERT INTO delete_proof (key, account, ns, auth, ids, expires_at) VALUES (?, ?, 0, ?, ?, ?)').run(new Uint8Array(32), alice, new Uint8Array(90), new Uint8Array(32), T0);
    db.prepare('UPDATE delete_proof SET ids = ?').run(new Uint8Array(64));
    const bytes = Number(db.prepare('SELECT bytes FROM storage').get()?.['bytes']);
    db.close();
    assert.equal(bytes, recount(file));
    assert.equal(bytes, 7 + 50 + 2 * O + 90 + 64 + O);
  });

  it('counts what a version 3 database already holds when it migrates', () => {
    const file = freshPath();
    const db = new DatabaseSync(file);
    for (const m of MIGRATIONS.slice(0, 3)) db.exec(m);
    db.exec('PRAGMA user_version = 3');
    const insert = db.prepare('INSERT INTO message (account, ns, id, body, expires_at) VALUES (?, 0, ?, ?, ?)');
    insert.run(alice, new Uint8Array(32).fill(1), new Uint8Array(70), T0 + HOUR);
    insert.run(bob, new Uint8Array(32).fill(2), new Uint8Array(30), T0 + HOUR);
    db.prepare('INSERT INTO tombstone (account, ns, id, expires_at) VALUES (?, 0, ?, ?)').run(alice, new Uint8Array(32).fill(3), T0 + HOUR);
    db.prepare('INSERT INTO delete_proof (key, account, ns, auth, ids, expires_at) VALUES (?, ?, 0, ?, ?, ?)').run(
      new Uint8Array(32).fill(4), alice, new Uint8Array(90), new Uint8Array(32), T0 + HOUR);
    db.close();
    const { store } = open({}, file);
    assert.equal(storage(store), 100 + 2 * O + O + 122 + O);
    store.close();
    assert.equal(recount(file), 100 + 4 * O + 122);
  });
});

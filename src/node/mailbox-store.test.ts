import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { concatBytes, toHex, utf8 } from '../crypto/bytes.ts';
import { isSamizdatError } from '../errors.ts';
import { DEFAULT_MAILBOX_LIMITS, MAX_LIST_LIMIT, openMailboxStore, type Namespace } from './mailbox-store.ts';
import { codeOf } from '../../test/support/error-code.ts';
import { HOUR, T0, alice, bob, createStoreFixture, text } from '../../test/support/mailbox-store-fixture.ts';

const { crypto, dir, freshPath, open, xorOfHashes } = createStoreFixture();

describe('mailbox store', () => {
  it('computes the documented message id', () => {
    const { store } = open();
    const body = text('hello');
    const { id } = store.put(alice, 'inbox', body, HOUR);
    const expected = crypto.hash('sha256', concatBytes(utf8('samizdat/v1/message-id'), utf8('inbox'), Uint8Array.of(0), alice, body));
    assert.deepEqual(id, expected);
    assert.notDeepEqual(store.put(alice, 'config', body, HOUR).id, id, 'the namespace is part of the id');
    assert.notDeepEqual(store.put(bob, 'inbox', body, HOUR).id, id, 'the account is part of the id');
    store.close();
  });

  it('puts, lists in cursor order with paging, and deletes', () => {
    const { store } = open();
    const put = Array.from({ length: 10 }, (_, i) => store.put(alice, 'inbox', text(`m${i}`), HOUR));
    for (let i = 1; i < put.length; i++) assert.ok((put[i]?.cursor ?? 0n) > (put[i - 1]?.cursor ?? 0n));
    assert.ok(put.every((p) => p.inserted && p.expiresAtMs === T0 + HOUR));

    const seen: string[] = [];
    let cursor = 0n;
    let pages = 0;
    for (;;) {
      const page = store.list(alice, 'inbox', cursor, 3);
      pages++;
      seen.push(...page.items.map((m) => new TextDecoder().decode(m.body)));
      const last = page.items.at(-1);
      if (last !== undefined) cursor = last.cursor;
      if (!page.more) break;
      assert.equal(page.items.length, 3);
    }
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => `m${i}`));
    assert.equal(pages, 4);
    assert.deepEqual(store.list(bob, 'inbox', 0n, 10), { items: [], more: false });
    assert.deepEqual(store.list(alice, 'config', 0n, 10), { items: [], more: false });

    const gone = [put[2]?.id, put[5]?.id].filter((x) => x !== undefined);
    assert.equal(store.delete(alice, 'inbox', gone), 2);
    assert.equal(store.delete(alice, 'inbox', gone), 0);
    assert.equal(store.delete(bob, 'inbox', [put[0]?.id ?? new Uint8Array(32)]), 0, 'another account cannot delete it');
    assert.equal(store.list(alice, 'inbox', 0n, 100).items.length, 8);
    assert.deepEqual(store.usage(alice, 'inbox'), { messages: 8, bytes: 16 });
    store.close();
  });

  it('caps list at MAX_LIST_LIMIT and honours maxBytes (always at least one item)', () => {
    const { store } = open();
    for (let i = 0; i < MAX_LIST_LIMIT + 5; i++) store.put(alice, 'inbox', text(`n${i}`.padEnd(100, '.')), HOUR);
    const all = store.list(alice, 'inbox', 0n, 10_000);
    assert.equal(all.items.length, MAX_LIST_LIMIT);
    assert.equal(all.more, true);
    const cut = store.list(alice, 'inbox', 0n, 50, { maxBytes: 250 });
    assert.equal(cut.items.length, 2);
    assert.equal(cut.more, true);
    assert.equal(store.list(alice, 'inbox', 0n, 50, { maxBytes: 1 }).items.length, 1);
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.equal(codeOf(() => store.list(alice, 'inbox', 0n, bad)), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => store.list(alice, 'inbox', -1n, 5)), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => store.list(alice, 'inbox', 5 as unknown as bigint, 5)), 'INVALID_ARGUMENT');
    store.close();
  });

  it('does not insert a duplicate, and a duplicate refreshes the expiry', () => {
    const { store, clock } = open();
    const first = store.put(alice, 'inbox', text('same'), HOUR);
    clock.t += 1000;
    const again = store.put(alice, 'inbox', text('same'), HOUR);
    assert.equal(again.inserted, false);
    assert.deepEqual(again.id, first.id);
    assert.equal(again.cursor, first.cursor);
    assert.equal(again.expiresAtMs, T0 + 1000 + HOUR);
    const shorter = store.put(alice, 'inbox', text('same'), 10);
    assert.equal(shorter.expiresAtMs, T0 + 1000 + HOUR, 'an expiry is never shortened');
    assert.deepEqual(store.usage(alice, 'inbox'), { messages: 1, bytes: 4 });
    store.close();
  });

  it("keeps exactly one 'bundle' item: a put replaces the previous one", () => {
    const { store } = open();
    const a = store.put(alice, 'bundle', text('bundle v1'), 14 * 24 * HOUR);
    const b = store.put(alice, 'bundle', text('bundle v2'), HOUR);
    assert.ok(b.inserted);
    assert.ok(b.expiresAtMs > a.expiresAtMs, 'the replacement outranks the replaced one for replicas');
    const items = store.list(alice, 'bundle', 0n, 10).items;
    assert.deepEqual(items.map((m) => new TextDecoder().decode(m.body)), ['bundle v2']);
    assert.deepEqual(store.usage(alice, 'bundle'), { messages: 1, bytes: 9 });
    assert.deepEqual(store.ids(alice, 'bundle'), [b.id]);
    assert.equal(store.put(alice, 'bundle', text('bundle v2'), HOUR).inserted, false);
    store.close();
  });

  it('enforces the TTL and body limits with typed errors', () => {
    const { store } = open();
    const max = DEFAULT_MAILBOX_LIMITS.maxTtlMs;
    for (const ttl of [0, -1, 1.5, max + 1, Number.NaN, Infinity]) {
      assert.equal(codeOf(() => store.put(alice, 'inbox', text('x'), ttl)), 'INVALID_ARGUMENT', `ttl ${ttl}`);
    }
    assert.equal(store.put(alice, 'inbox', text('x'), max).expiresAtMs, T0 + max);
    assert.equal(codeOf(() => store.put(alice, 'inbox', new Uint8Array(DEFAULT_MAILBOX_LIMITS.maxBodyBytes + 1), HOUR)), 'TOO_LARGE');
    assert.equal(store.put(alice, 'inbox', new Uint8Array(DEFAULT_MAILBOX_LIMITS.maxBodyBytes), HOUR).inserted, true);
    assert.equal(codeOf(() => store.put(alice, 'inbox', new Uint8Array(0), HOUR)), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => store.put(new Uint8Array(31), 'inbox', text('x'), HOUR)), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => store.put(alice, 'outbox' as Namespace, text('x'), HOUR)), 'INVALID_ARGUMENT');
    store.close();
  });

  it('skips expired items in list and sweeps them, updating usage and digests', () => {
    const { store, clock } = open();
    store.put(alice, 'inbox', text('short'), 1000);
    const long = store.put(alice, 'inbox', text('long'), HOUR);
    store.put(bob, 'inbox', text('short too'), 500);
    clock.t += 1000;
    assert.deepEqual(store.list(alice, 'inbox', 0n, 10).items.map((m) => m.id), [long.id]);
    assert.equal(store.get(alice, 'inbox', store.ids(alice, 'inbox')).length, 1, 'get skips expired items');
    assert.equal(store.usage(alice, 'inbox').messages, 2, 'counted until swept');
    assert.equal(store.sweepExpired(), 2);
    assert.equal(store.sweepExpired(), 0);
    assert.deepEqual(store.usage(alice, 'inbox'), { messages: 1, bytes: 4 });
    assert.deepEqual(store.digestOf(alice, 'inbox'), { digest: xorOfHashes([long.id]), count: 1 });
    assert.deepEqual(store.digestOf(bob, 'inbox'), { digest: new Uint8Array(32), count: 0 });
    assert.deepEqual([...store.digests()].map((d) => toHex(d.account)), [toHex(alice)]);
    store.close();
  });

  it('refuses a put to a full inbox with TOO_LARGE inbox-full and leaves existing messages untouched', () => {
    const { store, clock } = open({ maxInboxMessages: 3, maxInboxBytes: 1000 });
    const kept = [1, 2, 3].map((i) => store.put(alice, 'inbox', text(`keep ${i}`), i === 1 ? 1000 : HOUR));
    const before = store.list(alice, 'inbox', 0n, 10);
    let error: unknown;
    try {
      store.put(alice, 'inbox', text('one too many'), HOUR);
    } catch (err) {
      error = err;
    }
    assert.ok(isSamizdatError(error, 'TOO_LARGE'));
    assert.equal(error.detail['reason'], 'inbox-full');
    assert.deepEqual(store.list(alice, 'inbox', 0n, 10), before);
    assert.deepEqual(store.digestOf(alice, 'inbox'), { digest: xorOfHashes(kept.map((k) => k.id)), count: 3 });
    assert.equal(store.put(bob, 'inbox', text('other inboxes are not affected'), HOUR).inserted, true);
    assert.equal(store.put(alice, 'config', text('nor other namespaces'), HOUR).inserted, true);
    // Once an item expires, it makes room.
    clock.t += 1000;
    assert.equal(store.put(alice, 'inbox', text('now it fits'), HOUR).inserted, true);
    assert.deepEqual(store.usage(alice, 'inbox').messages, 3);
    // The byte cap counts too.
    assert.equal(codeOf(() => store.put(bob, 'inbox', new Uint8Array(990), HOUR)), 'TOO_LARGE');
    store.close();
  });

  it('checks replicas: id must match the content, expiry must be within the TTL', () => {
    const source = open().store;
    const { store, clock } = open();
    const { id } = source.put(alice, 'inbox', text('replicated'), HOUR);
    const [item] = source.get(alice, 'inbox', [id]);
    assert.ok(item !== undefined);
    assert.equal(store.putReplica(item), 'inserted');
    assert.equal(store.putReplica(item), 'present', 'a duplicate is not new');
    assert.deepEqual(store.list(alice, 'inbox', 0n, 5).items.map((m) => m.body), [text('replicated')]);

    const other = { ...item, body: text('tampered') };
    assert.equal(codeOf(() => store.putReplica(other)), 'MALFORMED');
    assert.equal(codeOf(() => store.putReplica({ ...item, account: bob })), 'MALFORMED');
    assert.equal(codeOf(() => store.putReplica({ ...item, namespace: 'config' })), 'MALFORMED');
    assert.equal(codeOf(() => store.putReplica({ ...item, id: item.id.subarray(1) })), 'MALFORMED');
    assert.equal(codeOf(() => store.putReplica({ ...item, expiresAtMs: T0 + 15 * 24 * HOUR })), 'MALFORMED');
    assert.equal(codeOf(() => store.putReplica({ ...item, namespace: 'nope' as Namespace })), 'MALFORMED');
    clock.t = item.expiresAtMs;
    const fresh = source.put(bob, 'inbox', text('expired on arrival'), 10);
    const [late] = source.get(bob, 'inbox', [fresh.id]);
    assert.ok(late !== undefined);
    assert.equal(store.putReplica(late), 'present', 'an expired replica is ignored');
    assert.deepEqual(store.usage(bob, 'inbox'), { messages: 0, bytes: 0 });
    source.close();
    store.close();
  });

  it('refuses replicas for a full inbox (not held here) instead of throwing', () => {
    const source = open().store;
    const { store } = open({ maxInboxMessages: 1 });
    const items = [1, 2].map((i) => source.get(alice, 'inbox', [source.put(alice, 'inbox', text(`r${i}`), HOUR).id])[0]);
    assert.equal(store.putReplica(items[0] ?? assert.fail()), 'inserted');
    assert.equal(store.putReplica(items[1] ?? assert.fail()), 'refused');
    assert.equal(store.usage(alice, 'inbox').messages, 1);
    source.close();
    store.close();
  });

  it('converges on the same bundle whatever order replicas arrive in', () => {
    const source = open().store;
    const items = [1, 2, 3, 4].map((i) => {
      const { id } = source.put(bob, 'bundle', text(`bundle ${i}`), HOUR * (i === 4 ? 2 : 1));
      const [item] = source.get(bob, 'bundle', [id]);
      return item ?? assert.fail();
    });
    source.close();
    fc.assert(
      fc.property(fc.shuffledSubarray(items, { minLength: 1 }), fc.shuffledSubarray(items, { minLength: 1 }), (one, two) => {
        const a = open().store;
        const b = open().store;
        for (const item of one) a.putReplica(item);
        for (const item of [...two, ...one]) b.putReplica(item);
        for (const item of two) a.putReplica(item);
        assert.deepEqual(a.ids(bob, 'bundle'), b.ids(bob, 'bundle'));
        assert.equal(a.ids(bob, 'bundle').length, 1);
        assert.deepEqual(a.digestOf(bob, 'bundle'), b.digestOf(bob, 'bundle'));
        a.close();
        b.close();
      }),
      { numRuns: 15 },
    );
  });

  it('gives equal digests for equal sets regardless of insertion order, different ones otherwise', () => {
    const bodies = fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 12, selector: toHex });
    fc.assert(
      fc.property(bodies.chain((b) => fc.tuple(fc.constant(b), fc.shuffledSubarray(b, { minLength: b.length }))), ([inOrder, shuffled]) => {
        const a = open().store;
        const b = open().store;
        const ids = inOrder.map((body) => a.put(alice, 'inbox', body, HOUR).id);
        // One store also learns an extra message and deletes it again: same final set.
        const extra = b.put(alice, 'inbox', text('extra, to be deleted'), HOUR);
        for (const body of shuffled) b.put(alice, 'inbox', body, HOUR);
        assert.notDeepEqual(a.digestOf(alice, 'inbox'), b.digestOf(alice, 'inbox'));
        b.delete(alice, 'inbox', [extra.id]);
        const da = a.digestOf(alice, 'inbox');
        assert.deepEqual(da, b.digestOf(alice, 'inbox'));
        assert.deepEqual(da, { digest: xorOfHashes(ids), count: ids.length });
        assert.deepEqual([...a.digests()], [...b.digests()]);
        assert.deepEqual(a.ids(alice, 'inbox'), [...ids].sort((x, y) => Buffer.compare(x, y)));
        a.close();
        b.close();
      }),
      { numRuns: 25 },
    );
  });

  it('remembers nonces: a replay is refused, also after a restart, until swept', () => {
    const { store, clock, file } = open();
    const nonce = new Uint8Array(16).fill(7);
    assert.equal(store.rememberNonce(alice, nonce, T0 + 60_000), true);
    assert.equal(store.rememberNonce(alice, nonce, T0 + 60_000), false);
    assert.equal(store.rememberNonce(bob, nonce, T0 + 60_000), true, 'nonces are per account');
    store.close();
    const reopened = openMailboxStore({ path: file, crypto, now: () => clock.t });
    assert.equal(reopened.rememberNonce(alice, nonce, T0 + 60_000), false);
    clock.t += 60_000;
    reopened.sweepExpired();
    assert.equal(reopened.rememberNonce(alice, nonce, T0 + 120_000), true, 'swept once its window has passed');
    assert.equal(codeOf(() => reopened.rememberNonce(alice, new Uint8Array(0), T0)), 'INVALID_ARGUMENT');
    assert.equal(codeOf(() => reopened.rememberNonce(alice, new Uint8Array(65), T0)), 'INVALID_ARGUMENT');
    reopened.close();
  });

  it('keeps data across a reopen and never reuses a cursor', () => {
    const { store, file } = open();
    const first = [1, 2, 3].map((i) => store.put(alice, 'inbox', text(`persist ${i}`), HOUR));
    store.put(bob, 'config', text('settings'), HOUR);
    const listed = store.list(alice, 'inbox', 0n, 10);
    // Delete the newest row: a new message must still get a cursor above every one handed out.
    store.delete(alice, 'inbox', [first[2]?.id ?? assert.fail()]);
    store.close();
    const reopened = openMailboxStore({ path: file, crypto, now: () => T0 });
    assert.deepEqual(reopened.list(alice, 'inbox', 0n, 10).items, listed.items.slice(0, 2));
    assert.deepEqual(reopened.accounts().map(toHex).sort(), [alice, bob].map(toHex).sort());
    const next = reopened.put(alice, 'inbox', text('after reopen'), HOUR);
    assert.ok(next.cursor > (first[2]?.cursor ?? 0n));
    assert.equal(reopened.dropAccount(alice), 3);
    assert.deepEqual(reopened.accounts().map(toHex), [toHex(bob)]);
    assert.deepEqual(reopened.usage(alice, 'inbox'), { messages: 0, bytes: 0 });
    reopened.close();
    assert.equal(codeOf(() => reopened.usage(alice, 'inbox')), 'STORAGE_FAILED', 'a closed store says so');
  });

  it('reports STORAGE_FAILED for a corrupt file, a directory, or a newer schema', () => {
    const garbage = freshPath();
    writeFileSync(garbage, 'this is not an SQLite database, just text long enough to look like a header......');
    assert.equal(codeOf(() => open({}, garbage)), 'STORAGE_FAILED');
    assert.equal(codeOf(() => open({}, dir)), 'STORAGE_FAILED');
    const newer = freshPath();
    const db = new DatabaseSync(newer);
    db.exec('PRAGMA user_version = 99');
    db.close();
    assert.equal(codeOf(() => open({}, newer)), 'STORAGE_FAILED');
    assert.equal(codeOf(() => open({ maxInboxMessages: 0 })), 'INVALID_ARGUMENT');
  });

  it("group commit: one turn's writes commit together on the next, a failed write rolls back alone, close commits the rest", async () => {
    const { store, clock, file } = open({ maxInboxMessages: 2, maxInboxBytes: 100 });
    await store.durable(); // nothing pending: resolves at once
    store.put(alice, 'inbox', new Uint8Array(10).fill(1), 1000);
    store.put(alice, 'inbox', new Uint8Array(10).fill(2), HOUR);
    const reader = new DatabaseSync(file, { readOnly: true });
    const committed = (): number => Number(reader.prepare('SELECT count(*) AS n FROM message').get()?.['n']);
    assert.equal(committed(), 0, 'another connection sees nothing before the commit');
    await store.durable();
    assert.equal(committed(), 2);
    clock.t += 1000; // the first item has expired (not swept)
    assert.equal(store.put(bob, 'inbox', text('same turn'), HOUR).inserted, true);
    // Makes room by deleting the expired item, then still does not fit: that delete must go too.
    assert.equal(codeOf(() => store.put(alice, 'inbox', new Uint8Array(95), HOUR)), 'TOO_LARGE');
    assert.deepEqual(store.usage(alice, 'inbox'), { messages: 2, bytes: 20 });
    await store.durable();
    assert.equal(committed(), 3, "bob's put is committed; the failed put left nothing behind");
    store.put(bob, 'inbox', text('pending at close'), HOUR);
    const pending = store.durable();
    store.close();
    await pending;
    assert.equal(committed(), 4);
    reader.close();
    await assert.rejects(store.durable(), (e) => isSamizdatError(e, 'STORAGE_FAILED'));
  });

  it('works in memory (for tests of other services)', () => {
    const store = openMailboxStore({ path: ':memory:', crypto, now: () => T0 });
    assert.equal(store.put(alice, 'inbox', text('x'), HOUR).cursor, 1n);
    store.close();
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { createNodeCryptoProvider } from '../crypto/node-provider.ts';
import { toHex } from '../crypto/bytes.ts';
import { openOnionKeyStore } from './onion-key-store.ts';

const crypto = createNodeCryptoProvider();
const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-onion-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('rotates onion keys, keeps the old one for the overlap, then deletes it from disk', () => {
  let t = 1_000_000;
  const now = (): number => t;
  let rotations = 0;
  const options = { dir, crypto, now, rotationMs: 60_000, overlapMs: 20_000, onRotate: () => rotations++ };
  const store = openOnionKeyStore(options);
  const first = store.current();
  const files = (): string[] => readdirSync(path.join(dir, 'onion-keys'));
  assert.deepEqual(files(), [`${toHex(first.keyId)}.json`]);
  assert.equal(statSync(path.join(dir, 'onion-keys', files()[0] ?? '')).mode & 0o777, 0o600);
  assert.equal(store.expiresAtMs(first.keyId), t + 60_000 + 20_000);

  t += 59_999;
  assert.equal(store.maintain(), false);
  t += 1;
  assert.equal(store.maintain(), true);
  const second = store.current();
  assert.notDeepEqual(second.keyId, first.keyId);
  assert.ok(store.find(first.keyId) !== undefined, 'the old key still opens layers during the overlap');
  assert.equal(store.expiresAtMs(first.keyId), t + 20_000);
  assert.equal(files().length, 2);

  // A restart within the overlap finds both keys on disk.
  const reopened = openOnionKeyStore(options);
  assert.deepEqual(reopened.current().keyId, second.keyId);
  assert.ok(reopened.find(first.keyId) !== undefined);

  // At its expiry the old key opens nothing more, even before the maintenance timer runs again.
  t += 19_999;
  assert.ok(reopened.find(first.keyId) !== undefined, 'the last millisecond of the overlap');
  t += 1;
  assert.equal(reopened.find(first.keyId), undefined, 'expired: refused without waiting for maintain()');
  assert.ok(!existsSync(path.join(dir, 'onion-keys', `${toHex(first.keyId)}.json`)), 'and deleted from disk then');
  assert.equal(store.maintain(), true);
  assert.equal(store.find(first.keyId), undefined, 'deleted from memory');
  assert.ok(!existsSync(path.join(dir, 'onion-keys', `${toHex(first.keyId)}.json`)), 'deleted from disk');
  assert.deepEqual(store.current().keyId, second.keyId);
  assert.equal(store.held().length, 1);
  assert.equal(rotations, 1, 'onRotate is called by the timer or by a find() that ran the maintenance, not by maintain()');
});

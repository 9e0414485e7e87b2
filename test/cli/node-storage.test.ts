// The helpers messaging-devnet.test.ts scans every node's storage with: each must catch a key or a
// text where it does not belong, and pass one where it does (an owner's key in its own bundle).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { BUNDLE, INBOX, rawFindings, rawX25519Findings, rowFindings, type WatchedKey } from './node-storage.ts';

const crypto = createNodeCryptoProvider();
const TEXT = 'Meet me at the old mill at noon';

describe('node storage checks', () => {
  it('catch a key or a text where it does not belong', () => {
    const account = crypto.randomBytes(32);
    const sender = crypto.randomBytes(32);
    const key: WatchedKey = { owner: 'sender', kind: 'ed25519', bytes: sender, account: sender };
    const envelope = new Uint8Array([...crypto.randomBytes(40), ...sender, ...crypto.randomBytes(40)]);
    const row = { node: 'node-01', table: 'message', row: { account, ns: INBOX, body: envelope } };
    assert.equal(rowFindings([row], [key], []).length, 1);
    const ownBundle = { node: 'node-01', table: 'message', row: { account: sender, ns: BUNDLE, body: envelope } };
    assert.deepEqual(rowFindings([ownBundle], [key], []), []);
    assert.equal(rowFindings([{ node: 'node-01', table: 'mailbox', row: { account, digest: sender } }], [key], []).length, 1);
    assert.equal(rowFindings([{ node: 'node-01', table: 'message', row: { account, ns: INBOX, body: new TextEncoder().encode(`..${TEXT}..`) } }], [], [TEXT]).length, 1);

    // Raw scan: the X25519 key inside a copy of the owner's bundle passes; the same key alone does not.
    const x: WatchedKey = { owner: 'sender', kind: 'x25519', bytes: crypto.randomBytes(32), account: sender };
    const bundle = new Uint8Array([...crypto.randomBytes(100), ...x.bytes, ...crypto.randomBytes(100)]);
    const bundleRow = { node: 'node-01', table: 'message', row: { account: sender, ns: BUNDLE, body: bundle } };
    const dir = mkdtempSync(path.join(tmpdir(), 'samizdat-planted-'));
    try {
      writeFileSync(path.join(dir, 'mailbox.db-wal'), new Uint8Array([...crypto.randomBytes(7), ...bundle.subarray(70, 170), 0]));
      assert.deepEqual(rawX25519Findings(dir, [x], [bundleRow]), { findings: [], inBundles: 1 });
      writeFileSync(path.join(dir, 'mailbox.db'), new Uint8Array([...bundle.subarray(80, 132), ...crypto.randomBytes(30)]));
      assert.equal(rawX25519Findings(dir, [x], [bundleRow]).findings.length, 1);
      assert.deepEqual(rawFindings(dir, [{ label: 'the key', bytes: x.bytes }]).sort(), ['mailbox.db contains the key', 'mailbox.db-wal contains the key']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

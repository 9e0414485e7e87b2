import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { crypto, describeNode, makeAuthorities, makeNetwork, makeNode } from '../../test/directory/fixtures.ts';
import { samizdatCode } from '../../test/support/providers.ts';
import { computeConsensusBody, encodeConsensusDocument, signConsensusBody } from './consensus.ts';
import { importConsensusFile, loadCachedConsensus, readNetworkFile, saveConsensus, writeNetworkFile } from './files.ts';
import { signVote, verifyVote } from './vote.ts';

const PERIOD = 60_000;
const P = 1_750_000_020_000 - (1_750_000_020_000 % PERIOD);
const authorities = makeAuthorities(3);
const network = makeNetwork(authorities, { consensusPeriodMs: PERIOD });
const d = describeNode(makeNode(), P - 1_000);
const votes = authorities.map((a) => verifyVote(crypto, network, signVote(crypto, network, a.key, P, [d.signed]), { now: P }));
const body = computeConsensusBody(network, votes, P);
const doc = encodeConsensusDocument(body, authorities.map((a) => signConsensusBody(crypto, a.key, body)));

describe('directory files', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'samizdat-dir-files-'));
  after(() => rm(dir, { recursive: true, force: true }));

  it('saves and loads the consensus cache atomically, leaving no temporary files', async () => {
    const file = path.join(dir, 'cache', 'consensus.bin');
    assert.equal(await loadCachedConsensus(file), undefined);
    await saveConsensus(file, doc);
    await saveConsensus(file, doc);
    assert.deepEqual(await loadCachedConsensus(file), doc);
    assert.deepEqual(await readdir(path.dirname(file)), ['consensus.bin']);
  });

  it('imports a consensus file only when it verifies', async () => {
    const file = path.join(dir, 'import.bin');
    await writeFile(file, doc);
    const consensus = await importConsensusFile(file, { crypto, network, now: P + 1 });
    assert.equal(consensus.nodes.length, 1);
    await assert.rejects(importConsensusFile(file, { crypto, network, now: P + 4 * PERIOD }), samizdatCode('EXPIRED'));
    await writeFile(file, doc.subarray(0, doc.length - 3));
    await assert.rejects(importConsensusFile(file, { crypto, network, now: P + 1 }), (err: unknown) => err instanceof Error && 'code' in err);
    await assert.rejects(importConsensusFile(path.join(dir, 'missing'), { crypto, network, now: P }), samizdatCode('STORAGE_FAILED'));
  });

  it('writes and reads network files', async () => {
    const file = path.join(dir, 'network.json');
    await writeNetworkFile(file, network);
    assert.deepEqual(await readNetworkFile(file), network);
  });
});

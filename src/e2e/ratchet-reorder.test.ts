import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../crypto/bytes.ts';
import { nodeProvider as p, samizdatCode } from '../../test/support/providers.ts';
import { ratchetDecrypt, ratchetEncrypt, type RatchetState } from './ratchet.ts';
import { ratchetPair } from '../../test/support/ratchet-pair.ts';

const NOW = 1_700_000_000_000;
const read = (b: Uint8Array): string => new TextDecoder().decode(b);

const session = (): { a: RatchetState; b: RatchetState } => ratchetPair();

/** mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

interface InFlight {
  readonly to: 'a' | 'b';
  readonly text: string;
  readonly bytes: Uint8Array;
}

/**
 * 200 messages each way, interleaved at random; each message is lost with probability 10%,
 * delivered after a random delay (reordering) otherwise, and some delivered ones are delivered a
 * second time later (duplicates). Checks every delivered message opens exactly once, to its text.
 */
function simulate(seed: number): { delivered: number; lost: number; duplicates: number } {
  const rnd = seeded(seed);
  const s = session();
  const sent = { a: 0, b: 0 };
  const pool: InFlight[] = [];
  const replays: InFlight[] = [];
  const opened = new Set<string>();
  let lost = 0;
  let duplicates = 0;

  const deliver = (m: InFlight, duplicate: boolean): void => {
    if (duplicate) {
      assert.throws(() => ratchetDecrypt(p, s[m.to], m.bytes, NOW), samizdatCode('DECRYPT_FAILED'), `duplicate of ${m.text}`);
      duplicates++;
      return;
    }
    const got = ratchetDecrypt(p, s[m.to], m.bytes, NOW);
    s[m.to] = got.state;
    assert.equal(read(got.plaintext), m.text);
    assert.ok(!opened.has(m.text), `${m.text} opened twice`);
    opened.add(m.text);
    if (rnd() < 0.15) replays.push(m);
  };

  while (sent.a < 200 || sent.b < 200 || pool.length > 0 || replays.length > 0) {
    const roll = rnd();
    // The responder can send only once it has received something.
    const bCanSend = s.b.sending !== undefined && sent.b < 200;
    if (roll < 0.5 && (sent.a < 200 || bCanSend)) {
      const from: 'a' | 'b' = sent.a >= 200 || (bCanSend && rnd() < 0.5) ? 'b' : 'a';
      const to = from === 'a' ? 'b' : 'a';
      const textOut = `${from}${sent[from]++}`;
      const out = ratchetEncrypt(p, s[from], utf8(textOut), NOW);
      s[from] = out.state;
      if (rnd() < 0.1) lost++;
      else pool.push({ to, text: textOut, bytes: out.message });
    } else if (pool.length > 0 && roll < 0.93) {
      const [m] = pool.splice(Math.floor(rnd() * pool.length), 1);
      if (m !== undefined) deliver(m, false);
    } else if (replays.length > 0) {
      const [m] = replays.splice(Math.floor(rnd() * replays.length), 1);
      if (m !== undefined) deliver(m, true);
    } else if (pool.length > 0) {
      const m = pool.shift();
      if (m !== undefined) deliver(m, false);
    }
  }
  assert.equal(opened.size, 400 - lost);
  return { delivered: opened.size, lost, duplicates };
}

describe('ratchet: loss, reordering and duplicates', () => {
  for (const seed of [1, 2, 3]) {
    it(`delivers each of 200 messages each way exactly once, seed ${seed}`, () => {
      const { delivered, lost, duplicates } = simulate(seed);
      // The run must have exercised what it claims to: losses, duplicates, many deliveries.
      assert.ok(lost >= 20 && lost <= 70, `lost ${lost}`);
      assert.ok(duplicates >= 20, `duplicates ${duplicates}`);
      assert.ok(delivered >= 330);
    });
  }
});

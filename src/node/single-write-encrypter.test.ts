import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageStream } from '@libp2p/interface';
import { concatBytes } from '../crypto/bytes.ts';
import { joinWrites } from './single-write-encrypter.ts';

/** Noise hands the transport a Uint8ArrayList; this stand-in has the one method joinWrites uses. */
const list = (...bufs: Uint8Array[]) => ({ subarray: () => concatBytes(...bufs) }) as unknown as Parameters<MessageStream['send']>[0];

describe('joinWrites', () => {
  it('hands the transport one buffer per message, with the same bytes in the same order', () => {
    const sent: unknown[] = [];
    const connection = { send: (data: unknown) => (sent.push(data), true) } as unknown as MessageStream;
    joinWrites(connection);
    const prefix = Uint8Array.of(0x01, 0x02);
    const body = new Uint8Array(300).fill(9);
    assert.equal(connection.send(list(prefix, body)), true);
    const single = Uint8Array.of(5, 6, 7);
    connection.send(single);
    assert.equal(sent.length, 2);
    assert.ok(sent[0] instanceof Uint8Array);
    assert.deepEqual(sent[0], Uint8Array.from([1, 2, ...body]));
    assert.equal(sent[1], single); // a lone buffer goes as it is, no copy
  });

  it('passes the transport\'s back-pressure answer on', () => {
    const connection = { send: () => false } as unknown as MessageStream;
    joinWrites(connection);
    assert.equal(connection.send(list(Uint8Array.of(1), Uint8Array.of(2))), false);
  });
});

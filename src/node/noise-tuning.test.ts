import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageStream } from '@libp2p/interface';
import { concatBytes } from '../crypto/bytes.ts';
import { joinWrites, quietLengthDecoder } from './noise-tuning.ts';

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

/** Noise's uint16BEDecode, as the library writes it: throws on fewer than 2 bytes. */
function uint16BE(data: Uint8Array): number {
  if (data.length < 2) throw RangeError('Could not decode int16BE');
  return ((data[0] ?? 0) << 8) + (data[1] ?? 0);
}

/**
 * @libp2p/utils' LengthPrefixedDecoder loop as Noise uses it (2-byte lengths), over the
 * connection's decoder fields: the messages in `bytes` and how many RangeErrors it caught.
 */
function decodeAll(decoder: { lengthDecoder: (d: Uint8Array) => number; encodingLength: (n: number) => number }, chunks: Uint8Array[]): { messages: number[][]; caught: number } {
  let buffer: Uint8Array = new Uint8Array(0);
  const messages: number[][] = [];
  let caught = 0;
  for (const chunk of chunks) {
    buffer = concatBytes(buffer, chunk);
    for (;;) {
      let length: number;
      try {
        length = decoder.lengthDecoder(buffer);
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        caught += 1;
        break;
      }
      const total = decoder.encodingLength(length) + length;
      if (buffer.length < total) break;
      messages.push([...buffer.subarray(2, total)]);
      buffer = buffer.subarray(total);
    }
  }
  return { messages, caught };
}

describe('quietLengthDecoder', () => {
  const frames = [Uint8Array.of(0, 3, 7, 8, 9), Uint8Array.of(0, 1, 4), Uint8Array.of(0, 0)];
  // Split everywhere, including between the two length bytes, and whole.
  const splits = [[concatBytes(...frames)], [...concatBytes(...frames)].map((b) => Uint8Array.of(b)), [Uint8Array.of(0), Uint8Array.of(3, 7, 8, 9, 0), Uint8Array.of(1, 4, 0, 0)]];

  it('gives the same messages as the throwing decoder, with no exception', () => {
    for (const chunks of splits) {
      const original = { lengthDecoder: uint16BE, encodingLength: () => 2 };
      const before = decodeAll(original, chunks);
      assert.ok(before.caught > 0);
      const connection = { decoder: { lengthDecoder: uint16BE, encodingLength: () => 2 } };
      assert.equal(quietLengthDecoder(connection as unknown as MessageStream), true);
      const after = decodeAll(connection.decoder, chunks);
      assert.deepEqual(after.messages, before.messages);
      assert.deepEqual(after.messages, [[7, 8, 9], [4], []]);
      assert.equal(after.caught, 0);
    }
  });

  it('leaves any other decoder shape alone', () => {
    const varint = { lengthDecoder: uint16BE, encodingLength: (n: number) => (n < 128 ? 1 : 2) };
    const shapes: unknown[] = [{}, { decoder: null }, { decoder: { lengthDecoder: 'x', encodingLength: () => 2 } }, { decoder: varint }];
    for (const shape of shapes) assert.equal(quietLengthDecoder(shape as MessageStream), false);
    assert.equal(varint.lengthDecoder, uint16BE);
  });
});

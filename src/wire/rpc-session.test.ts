import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes } from '../crypto/bytes.ts';
import { isSamizdatError } from '../errors.ts';
import { MAX_COALESCED_BYTES, RpcSession, serveSession } from './rpc-session.ts';
import type { StreamChunk } from './framing.ts';
import type { RpcStream } from './stream-rpc.ts';

/** One direction of an in-memory stream: what `send` writes, the other end iterates. */
class Pipe {
  private readonly chunks: Uint8Array[] = [];
  private waiting: (() => void) | undefined;
  private ended = false;
  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.waiting?.();
  }
  end(): void {
    this.ended = true;
    this.waiting?.();
  }
  async *read(): AsyncGenerator<StreamChunk> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) yield chunk;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}

interface RecordingStream extends RpcStream {
  /** Sizes of the chunks handed to send(), in order. */
  readonly sends: number[];
  /** When set, send() reports a full buffer this many times (and onDrain is awaited). */
  fullFor: number;
  drains: number;
}

function streamPair(): [RecordingStream, RecordingStream] {
  const ab = new Pipe();
  const ba = new Pipe();
  const end = (incoming: Pipe, outgoing: Pipe): RecordingStream => {
    const stream: RecordingStream = {
      sends: [],
      fullFor: 0,
      drains: 0,
      send(data) {
        stream.sends.push(data.byteLength);
        outgoing.push(data.slice());
        if (stream.fullFor === 0) return true;
        stream.fullFor -= 1;
        return false;
      },
      async onDrain() {
        stream.drains += 1;
        await new Promise((resolve) => setTimeout(resolve, 1));
      },
      close() {
        outgoing.end();
        return Promise.resolve();
      },
      abort() {
        outgoing.end();
        incoming.end();
      },
      [Symbol.asyncIterator]: () => incoming.read(),
    };
    return stream;
  };
  return [end(ba, ab), end(ab, ba)];
}

const echo = (body: Uint8Array): Promise<Uint8Array> => Promise.resolve(concatBytes(Uint8Array.of(0xee), body));

/** An RpcSession over a stream pair to an echo server; `done` closes it and waits for the server. */
function echoSession() {
  const [client, server] = streamPair();
  const served = serveSession(server, echo, { maxConcurrent: 1_000 });
  const session = new RpcSession(client);
  return {
    client,
    server,
    session,
    done: async (): Promise<void> => {
      session.close();
      await served;
    },
  };
}

describe('RpcSession frame coalescing', () => {
  it('sends the frames written in one turn of the event loop together, and every answer reaches its request', async () => {
    const { client, server, session, done } = echoSession();
    const bodies = Array.from({ length: 300 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8, ...new Uint8Array(i % 50)));
    const answers = await Promise.all(bodies.map((body) => session.request(body, { timeoutMs: 5_000 })));
    answers.forEach((answer, i) => assert.deepEqual(answer, concatBytes(Uint8Array.of(0xee), bodies[i]!)));
    assert.ok(client.sends.length < 10, `300 requests in one turn took ${client.sends.length} sends`);
    assert.ok(server.sends.length < 300, `300 answers took ${server.sends.length} sends`);
    await done();
  });

  it('never puts more than MAX_COALESCED_BYTES in one send unless a single frame is larger', async () => {
    const { client, session, done } = echoSession();
    const sizes = [10, MAX_COALESCED_BYTES + 5_000, 20_000, 20_000, 20_000, 20_000, 7];
    const answers = await Promise.all(sizes.map((size) => session.request(new Uint8Array(size).fill(size & 0xff), { timeoutMs: 5_000 })));
    answers.forEach((answer, i) => assert.equal(answer.byteLength, sizes[i]! + 1));
    const oversized = client.sends.filter((n) => n > MAX_COALESCED_BYTES);
    assert.equal(oversized.length, 1, `sends: ${client.sends.join(', ')}`);
    assert.ok(oversized[0]! < MAX_COALESCED_BYTES + 5_100);
    await done();
  });

  it('waits for the stream to drain when a send reports a full buffer, and loses nothing', async () => {
    const { client, session, done } = echoSession();
    client.fullFor = 3;
    const sizes = [40_000, 40_000, 40_000, 40_000, 40_000];
    const answers = await Promise.all(sizes.map((size, i) => session.request(new Uint8Array(size).fill(i), { timeoutMs: 5_000 })));
    answers.forEach((answer, i) => assert.equal(answer[1], i));
    assert.equal(client.drains, 3);
    await done();
  });
});

/** Echoes, except that a request starting with 0 gets no answer until the server stops. */
const silentOnZero = (body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> =>
  body[0] === 0 ? new Promise<Uint8Array>((_, reject) => signal.addEventListener('abort', () => reject(new Error('session ended')), { once: true })) : echo(body);

describe('RpcSession deadlines', () => {
  it('fails each unanswered request at its own deadline, and no answered one', async () => {
    const [client, server] = streamPair();
    const stop = new AbortController();
    const served = serveSession(server, silentOnZero, { maxConcurrent: 100, signal: stop.signal });
    const session = new RpcSession(client);
    const start = performance.now();
    const failedAfter = (timeoutMs: number): Promise<number> =>
      session.request(Uint8Array.of(0), { timeoutMs }).then(
        () => assert.fail('an unanswered request succeeded'),
        (err: unknown) => {
          assert.ok(isSamizdatError(err, 'PATH_FAILED'), String(err));
          assert.equal(err.detail.timeoutMs, timeoutMs);
          return performance.now() - start;
        },
      );
    const late = failedAfter(150);
    const early = failedAfter(40);
    const answered = session.request(Uint8Array.of(1), { timeoutMs: 60 });
    assert.deepEqual(await answered, Uint8Array.of(0xee, 1));
    const [earlyMs, lateMs] = await Promise.all([early, late]);
    assert.ok(earlyMs >= 39 && earlyMs < 130, `a 40 ms request failed after ${earlyMs} ms`);
    assert.ok(lateMs >= 149, `a 150 ms request failed after ${lateMs} ms`);
    assert.equal(session.pendingCount, 0);
    session.close();
    stop.abort();
    await served;
  });

  it('cancels a request when its signal aborts, and the others keep their deadlines', async () => {
    const [client, server] = streamPair();
    const stop = new AbortController();
    const served = serveSession(server, silentOnZero, { maxConcurrent: 100, signal: stop.signal });
    const session = new RpcSession(client);
    const controller = new AbortController();
    const cancelled = session.request(Uint8Array.of(0), { timeoutMs: 5_000, signal: controller.signal });
    const timedOut = session.request(Uint8Array.of(0), { timeoutMs: 30 });
    controller.abort();
    await assert.rejects(cancelled, (err) => isSamizdatError(err, 'PATH_FAILED') && /cancelled/.test(err.message));
    await assert.rejects(timedOut, (err) => isSamizdatError(err, 'PATH_FAILED') && /within 30 ms/.test(err.message));
    assert.equal(session.pendingCount, 0);
    session.close();
    stop.abort();
    await served;
  });
});

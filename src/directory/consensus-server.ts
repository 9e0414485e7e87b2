/**
 * The server side of /samizdat/dir/consensus/1.0.0, shared by authorities and nodes: answers a
 * ConsensusRequest with the consensus it holds when that is newer than `if_newer_than_ms`, and
 * with an empty ConsensusDocument otherwise (which is also what a reachability probe gets).
 */
import { create } from '@bufbuild/protobuf';
import type { RpcTransport } from '../wire/index.ts';
import { decodeMessage } from '../wire/index.ts';
import { ConsensusDocumentSchema, ConsensusRequestSchema } from '../wire/gen/samizdat/v1/directory_pb.ts';
import type { ConsensusDocument } from '../wire/gen/samizdat/v1/directory_pb.ts';
import type { Consensus } from './consensus.ts';
import { CONSENSUS_PROTOCOL, handleDirectoryProtocol, MAX_SMALL_REQUEST_BYTES } from './protocols.ts';

/** Registers the consensus protocol on `transport`, serving whatever `current()` returns. */
export async function serveConsensus(transport: RpcTransport, current: () => Consensus | undefined): Promise<void> {
  // The decoded form of the document last served, so a popular consensus is parsed once.
  let cached: { bytes: Uint8Array; message: ConsensusDocument } | undefined;
  await handleDirectoryProtocol(transport, CONSENSUS_PROTOCOL, MAX_SMALL_REQUEST_BYTES, (request) => {
    const { ifNewerThanMs } = decodeMessage(ConsensusRequestSchema, request, { maxBytes: MAX_SMALL_REQUEST_BYTES });
    const consensus = current();
    if (consensus === undefined || BigInt(consensus.validAfterMs) <= ifNewerThanMs) {
      return Promise.resolve({ case: 'consensus', value: create(ConsensusDocumentSchema) });
    }
    if (cached?.bytes !== consensus.document) {
      cached = { bytes: consensus.document, message: decodeMessage(ConsensusDocumentSchema, consensus.document, { maxBytes: consensus.document.length }) };
    }
    return Promise.resolve({ case: 'consensus', value: cached.message });
  });
}

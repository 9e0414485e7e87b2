/**
 * The RpcFrame envelope: every message on a Samizdat stream is an RpcFrame of the current
 * version whose `kind` names the body's message type, so a reader can refuse what it does not
 * expect before parsing the body.
 */
import { create } from '@bufbuild/protobuf';
import { assertBytes } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import type { CodecOptions } from './codec.ts';
import { RpcFrameSchema } from './gen/samizdat/v1/frame_pb.ts';
import type { RpcFrame } from './gen/samizdat/v1/frame_pb.ts';
import { MAX_KIND_LENGTH, RPC_VERSION } from './limits.ts';

/** Letters, digits and `._/-`, starting with a letter or digit: a type name or protocol id. */
const KIND_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Why `kind` is not acceptable, or undefined if it is. */
function kindProblem(kind: string): { code: 'TOO_LARGE' | 'MALFORMED'; message: string } | undefined {
  if (kind.length > MAX_KIND_LENGTH) {
    return { code: 'TOO_LARGE', message: `kind is longer than ${MAX_KIND_LENGTH} characters` };
  }
  if (!KIND_PATTERN.test(kind)) return { code: 'MALFORMED', message: 'kind must be a non-empty type name' };
  return undefined;
}

/** Encodes an RpcFrame of the current version. INVALID_ARGUMENT for a bad kind, TOO_LARGE over `maxBytes`. */
export function encodeRpcFrame(kind: string, body: Uint8Array, options: CodecOptions = {}): Uint8Array {
  assertBytes('body', body);
  const problem = typeof kind === 'string' ? kindProblem(kind) : { message: 'kind must be a string' };
  if (problem !== undefined) throw new SamizdatError('INVALID_ARGUMENT', problem.message);
  return encodeMessage(RpcFrameSchema, create(RpcFrameSchema, { version: RPC_VERSION, kind, body }), options);
}

/**
 * Decodes an RpcFrame. TOO_LARGE over `maxBytes` or for an overlong kind; MALFORMED for bad
 * protobuf, a version other than RPC_VERSION, or an empty or ill-formed kind.
 */
export function decodeRpcFrame(bytes: Uint8Array, options: CodecOptions = {}): RpcFrame {
  const frame = decodeMessage(RpcFrameSchema, bytes, options);
  if (frame.version !== RPC_VERSION) {
    throw new SamizdatError('MALFORMED', `unsupported RpcFrame version ${frame.version}`, {
      detail: { version: frame.version, supported: RPC_VERSION },
    });
  }
  const problem = kindProblem(frame.kind);
  if (problem !== undefined) {
    throw new SamizdatError(problem.code, problem.message, { detail: { field: 'kind', limit: MAX_KIND_LENGTH } });
  }
  return frame;
}

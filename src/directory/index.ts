/** The public API of the directory layer (DESIGN.md §4). */
export * from './limits.ts';
export { parseIpAddress, peerIdOfPublicKey, publicKeyOfPeerId } from './addresses.ts';
export type { ParsedAddress } from './addresses.ts';
export {
  createNetworkConfig,
  networkConfigFromJson,
  parseNetworkFile,
  periodStart,
  serializeNetworkConfig,
  signatureThreshold,
} from './network-file.ts';
export type { AuthorityInfo, NetworkConfig, NetworkFileInput, SeedInfo } from './network-file.ts';
export { signNodeDescriptor, verifyNodeDescriptor } from './descriptor.ts';
export type { NodeDescriptor, NodeDescriptorFields, VerifyDescriptorOptions } from './descriptor.ts';
export { findAuthority, signVote, validityWindow, verifyVote } from './vote.ts';
export type { Vote, VerifyVoteOptions } from './vote.ts';
export {
  checkConsensusSignature,
  computeConsensusBody,
  encodeConsensusDocument,
  signConsensusBody,
  verifyConsensus,
} from './consensus.ts';
export type { Consensus, ConsensusSignatureParts, VerifyConsensusOptions } from './consensus.ts';
export {
  CONSENSUS_PROTOCOL,
  DIRECTORY_RPC_TIMEOUT_MS,
  MAX_DIRECTORY_REPLY_BYTES,
  MAX_SMALL_REQUEST_BYTES,
  PUBLISH_PROTOCOL,
  SIGNATURE_PROTOCOL,
  VOTE_PROTOCOL,
  callDirectory,
  decodeDirectoryReply,
  encodeDirectoryReply,
  handleDirectoryProtocol,
} from './protocols.ts';
export type { DirectoryCallOptions, DirectoryHandler, DirectoryResult } from './protocols.ts';
export { serveConsensus } from './consensus-server.ts';
export { createNodeIndex, type NodeIndex } from './node-index.ts';
export {
  FETCH_PARALLELISM,
  NOTHING_NEWER_QUORUM,
  consensusSources,
  consensusTargets,
  fetchConsensus,
  fetchConsensusFrom,
  fetchNewerConsensus,
} from './directory-client.ts';
export type { FetchConsensusOptions, FetchNewerOptions } from './directory-client.ts';
export { REFRESH_MAX_ATTEMPTS, createDirectoryFollower } from './directory-follower.ts';
export type { DirectoryFollower, DirectoryFollowerOptions } from './directory-follower.ts';
export {
  importConsensusFile,
  loadCachedConsensus,
  readNetworkFile,
  saveConsensus,
  writeFileAtomic,
  writeNetworkFile,
} from './files.ts';
export type { ImportConsensusOptions } from './files.ts';
export { FORGET_AFTER_PERIODS } from './authority-state.ts';
export { MAX_EXCHANGE_WINDOW_MS, MAX_PROBE_TIMEOUT_MS, PROBE_CONCURRENCY, createAuthorityService } from './authority-service.ts';
export type { AuthorityService, AuthorityServiceOptions } from './authority-service.ts';
export { SILENT_LOGGER } from './runtime.ts';
export type { DirectoryLogger } from './runtime.ts';

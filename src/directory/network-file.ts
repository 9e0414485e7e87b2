/**
 * The network file (DESIGN.md §1): the JSON document that defines a network by its authority
 * keys and seed addresses. Parsed strictly (unknown keys, DNS names and out-of-range numbers are
 * refused) into a NetworkConfig whose authority peer IDs derive from their keys.
 *
 * {"version":1,"name":"devnet",
 *  "authorities":[{"name":"a1","publicKey":"<64 hex>","addresses":["/ip4/127.0.0.1/tcp/7001"]}],
 *  "seeds":["/ip4/127.0.0.1/tcp/7101/p2p/12D3Koo..."],
 *  "swarmSize":5,"consensusPeriodMs":60000,"allowSameSubnet":false}
 */
import { fromHex, toHex } from '../crypto/bytes.ts';
import { SamizdatError } from '../errors.ts';
import { parseIpAddress, peerIdOfPublicKey } from './addresses.ts';
import {
  DEFAULT_CONSENSUS_PERIOD_MS,
  DEFAULT_SWARM_SIZE,
  MAX_ADDRESSES,
  MAX_AUTHORITIES,
  MAX_CONSENSUS_PERIOD_MS,
  MAX_NETWORK_FILE_BYTES,
  MAX_NETWORK_NAME_LENGTH,
  MAX_SEEDS,
  MAX_SWARM_SIZE,
  MIN_CONSENSUS_PERIOD_MS,
  DEFAULT_ONION_KEY_ROTATION_MS,
  MAX_ONION_KEY_ROTATION_MS,
  MIN_ONION_KEY_ROTATION_MS,
  DEFAULT_PREKEY_ROTATION_MS,
  MIN_PREKEY_ROTATION_MS,
  MAX_PREKEY_ROTATION_MS,
  NETWORK_FILE_VERSION,
} from './limits.ts';

export interface AuthorityInfo {
  readonly name: string;
  /** Ed25519 public key, 32 bytes. */
  readonly publicKey: Uint8Array;
  /** Lower-case hex of publicKey, handy as a map key. */
  readonly keyHex: string;
  /** The libp2p peer ID of publicKey. */
  readonly peerId: string;
  /** IP-literal multiaddrs without /p2p. */
  readonly addresses: readonly string[];
}

export interface SeedInfo {
  readonly peerId: string;
  /** The multiaddr without /p2p. */
  readonly address: string;
}

export interface NetworkConfig {
  readonly version: number;
  readonly name: string;
  readonly authorities: readonly AuthorityInfo[];
  readonly seeds: readonly SeedInfo[];
  readonly swarmSize: number;
  readonly consensusPeriodMs: number;
  readonly allowSameSubnet: boolean;
  /** How often nodes make new onion keys (the old ones are deleted after an overlap). */
  readonly onionKeyRotationMs: number;
  /** How often clients make new signed prekeys for their bundles (DESIGN.md §5: about 12 h). */
  readonly prekeyRotationMs: number;
}

/** What a writer (devnet, an operator tool) fills in to make a network file. */
export interface NetworkFileInput {
  readonly name: string;
  readonly authorities: readonly { readonly name: string; readonly publicKey: Uint8Array; readonly addresses: readonly string[] }[];
  /** Seed multiaddrs with a /p2p suffix. */
  readonly seeds?: readonly string[];
  readonly swarmSize?: number;
  readonly consensusPeriodMs?: number;
  readonly allowSameSubnet?: boolean;
  readonly onionKeyRotationMs?: number;
  readonly prekeyRotationMs?: number;
}

const TOP_KEYS = new Set(['version', 'name', 'authorities', 'seeds', 'swarmSize', 'consensusPeriodMs', 'allowSameSubnet', 'onionKeyRotationMs', 'prekeyRotationMs']);
const AUTHORITY_KEYS = new Set(['name', 'publicKey', 'addresses']);
const NAME_RE = /^[A-Za-z0-9._-]+$/;

function bad(message: string, detail: Record<string, unknown> = {}): SamizdatError {
  return new SamizdatError('MALFORMED', `network file: ${message}`, { detail });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(value)) if (!allowed.has(key)) throw bad(`unknown key "${key.slice(0, 40)}" in ${where}`);
}

function name(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NETWORK_NAME_LENGTH || !NAME_RE.test(value)) {
    throw bad(`${where} must be 1 to ${MAX_NETWORK_NAME_LENGTH} letters, digits, ".", "_" or "-"`);
  }
  return value;
}

function integer(value: unknown, fallback: number, min: number, max: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(`${where} must be an integer from ${min} to ${max}`, { min, max });
  }
  return value;
}

function addresses(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ADDRESSES) {
    throw bad(`${where} must list 1 to ${MAX_ADDRESSES} addresses`);
  }
  return value.map((a) => {
    const parsed = parseIpAddress(a);
    if (parsed.peerId !== undefined) throw bad(`${where} must not carry /p2p (the key gives the peer ID)`, { address: a });
    return parsed.address;
  });
}

function authority(value: unknown, index: number): AuthorityInfo {
  const where = `authorities[${index}]`;
  if (!isRecord(value)) throw bad(`${where} must be an object`);
  checkKeys(value, AUTHORITY_KEYS, where);
  const authorityName = name(value.name, `${where}.name`);
  if (typeof value.publicKey !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value.publicKey)) {
    throw bad(`${where}.publicKey must be 64 hex digits (an Ed25519 public key)`);
  }
  const publicKey = fromHex(value.publicKey);
  let peerId: string;
  try {
    peerId = peerIdOfPublicKey(publicKey);
  } catch (cause) {
    throw new SamizdatError('MALFORMED', `network file: ${where}.publicKey is not an Ed25519 key`, { cause });
  }
  return { name: authorityName, publicKey, keyHex: toHex(publicKey), peerId, addresses: addresses(value.addresses, `${where}.addresses`) };
}

function seed(value: unknown, index: number): SeedInfo {
  const parsed = parseIpAddress(value);
  if (parsed.peerId === undefined) throw bad(`seeds[${index}] must end in /p2p/<peer ID>`, { address: value });
  return { peerId: parsed.peerId, address: parsed.address };
}

/** Validates an already-parsed JSON value as a network file. MALFORMED on any problem. */
export function networkConfigFromJson(json: unknown): NetworkConfig {
  if (!isRecord(json)) throw bad('must be a JSON object');
  checkKeys(json, TOP_KEYS, 'the network file');
  if (json.version !== NETWORK_FILE_VERSION) throw bad(`version must be ${NETWORK_FILE_VERSION}`, { version: json.version });
  const networkName = name(json.name, 'name');
  if (!Array.isArray(json.authorities) || json.authorities.length === 0 || json.authorities.length > MAX_AUTHORITIES) {
    throw bad(`authorities must list 1 to ${MAX_AUTHORITIES} authorities`);
  }
  const authorities = json.authorities.map(authority);
  const keys = new Set(authorities.map((a) => a.keyHex));
  const names = new Set(authorities.map((a) => a.name));
  if (keys.size !== authorities.length || names.size !== authorities.length) throw bad('authority names and keys must be unique');
  const rawSeeds: unknown = json.seeds ?? [];
  if (!Array.isArray(rawSeeds) || rawSeeds.length > MAX_SEEDS) throw bad(`seeds must be a list of at most ${MAX_SEEDS} addresses`);
  if (json.allowSameSubnet !== undefined && typeof json.allowSameSubnet !== 'boolean') throw bad('allowSameSubnet must be true or false');
  return {
    version: NETWORK_FILE_VERSION,
    name: networkName,
    authorities,
    seeds: rawSeeds.map(seed),
    swarmSize: integer(json.swarmSize, DEFAULT_SWARM_SIZE, 1, MAX_SWARM_SIZE, 'swarmSize'),
    consensusPeriodMs: integer(json.consensusPeriodMs, DEFAULT_CONSENSUS_PERIOD_MS, MIN_CONSENSUS_PERIOD_MS, MAX_CONSENSUS_PERIOD_MS, 'consensusPeriodMs'),
    allowSameSubnet: json.allowSameSubnet ?? false,
    onionKeyRotationMs: integer(json.onionKeyRotationMs, DEFAULT_ONION_KEY_ROTATION_MS, MIN_ONION_KEY_ROTATION_MS, MAX_ONION_KEY_ROTATION_MS, 'onionKeyRotationMs'),
    prekeyRotationMs: integer(json.prekeyRotationMs, DEFAULT_PREKEY_ROTATION_MS, MIN_PREKEY_ROTATION_MS, MAX_PREKEY_ROTATION_MS, 'prekeyRotationMs'),
  };
}

/** Parses the text of a network file. TOO_LARGE over MAX_NETWORK_FILE_BYTES, MALFORMED otherwise. */
export function parseNetworkFile(text: string): NetworkConfig {
  if (typeof text !== 'string') throw new SamizdatError('INVALID_ARGUMENT', 'text must be a string');
  if (text.length > MAX_NETWORK_FILE_BYTES) {
    throw new SamizdatError('TOO_LARGE', `network file exceeds ${MAX_NETWORK_FILE_BYTES} bytes`, { detail: { limit: MAX_NETWORK_FILE_BYTES } });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SamizdatError('MALFORMED', 'network file is not valid JSON', { cause });
  }
  return networkConfigFromJson(json);
}

/** The JSON text of a network file (2-space indented, ending in a newline). */
export function serializeNetworkConfig(config: NetworkConfig): string {
  const json = {
    version: NETWORK_FILE_VERSION,
    name: config.name,
    authorities: config.authorities.map((a) => ({ name: a.name, publicKey: toHex(a.publicKey), addresses: [...a.addresses] })),
    seeds: config.seeds.map((s) => `${s.address}/p2p/${s.peerId}`),
    swarmSize: config.swarmSize,
    consensusPeriodMs: config.consensusPeriodMs,
    allowSameSubnet: config.allowSameSubnet,
    onionKeyRotationMs: config.onionKeyRotationMs,
    prekeyRotationMs: config.prekeyRotationMs,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * Builds a validated NetworkConfig from a writer's input (the same checks as parsing, so a file
 * written by serializeNetworkConfig always parses back). MALFORMED on bad input.
 */
export function createNetworkConfig(input: NetworkFileInput): NetworkConfig {
  return networkConfigFromJson({
    version: NETWORK_FILE_VERSION,
    name: input.name,
    authorities: input.authorities.map((a) => ({ name: a.name, publicKey: toHex(a.publicKey), addresses: [...a.addresses] })),
    seeds: [...(input.seeds ?? [])],
    ...(input.swarmSize === undefined ? {} : { swarmSize: input.swarmSize }),
    ...(input.consensusPeriodMs === undefined ? {} : { consensusPeriodMs: input.consensusPeriodMs }),
    ...(input.allowSameSubnet === undefined ? {} : { allowSameSubnet: input.allowSameSubnet }),
    ...(input.onionKeyRotationMs === undefined ? {} : { onionKeyRotationMs: input.onionKeyRotationMs }),
    ...(input.prekeyRotationMs === undefined ? {} : { prekeyRotationMs: input.prekeyRotationMs }),
  });
}

/** Authorities needed for a valid consensus: more than half of those in the network file. */
export function signatureThreshold(network: NetworkConfig): number {
  return Math.floor(network.authorities.length / 2) + 1;
}

/** The start of the consensus period holding `timeMs`: floor(timeMs / period) * period. */
export function periodStart(network: NetworkConfig, timeMs: number): number {
  return Math.floor(timeMs / network.consensusPeriodMs) * network.consensusPeriodMs;
}

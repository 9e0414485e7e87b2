/**
 * Onion path selection (DESIGN.md §4, issue 4), pure: from the nodes of a verified consensus pick
 * guard -> middle -> exit for a request to `target`. The guard comes from the client's pinned set
 * (guard-store.ts), the middle and exit uniformly at random through the injected `randomInt`.
 * Rules: the three hops are distinct nodes, none of them is the target or an excluded node, and
 * no two hops share a /24 (IPv4) or /48 (IPv6) network unless the network file allows it (a
 * devnet on 127.0.0.1). A node with several addresses occupies every network it lists. When no
 * path satisfies the rules the result is PATH_FAILED (detail.reason says why), never a weaker path.
 */
import type { NodeDescriptor } from '../directory/index.ts';
import { SamizdatError } from '../errors.ts';

/** Uniform integer in [0, bound); bound is a positive safe integer. */
export type RandomInt = (bound: number) => number;

export interface SelectedPath {
  readonly guard: NodeDescriptor;
  readonly middle: NodeDescriptor;
  readonly exit: NodeDescriptor;
}

export interface PathSelectOptions {
  /** The nodes of the verified consensus. */
  readonly nodes: readonly NodeDescriptor[];
  /** Peer IDs of the pinned guards (the guard is one of them that is in `nodes`). */
  readonly guards: readonly string[];
  /** The node the request is for: never a hop. */
  readonly target?: string;
  /** Further peer IDs no hop may be (e.g. a node that just failed). */
  readonly exclude?: readonly string[];
  readonly allowSameSubnet: boolean;
  readonly randomInt: RandomInt;
}

/**
 * The networks an address occupies: "4:a.b.c" for an IPv4 /24, "6:xxxx:xxxx:xxxx" for an IPv6
 * /48 (IPv4-mapped IPv6 counts as its IPv4 /24). Undefined for anything that is not an IP
 * multiaddr (the directory already refuses those, so this only guards against surprises).
 */
export function subnetOf(address: string): string | undefined {
  const parts = address.split('/');
  const proto = parts[1];
  const value = parts[2];
  if (value === undefined) return undefined;
  if (proto === 'ip4') return ipv4Subnet(value);
  if (proto !== 'ip6') return undefined;
  const groups = expandIpv6(value);
  if (groups === undefined) return undefined;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `4:${hi >> 8}.${hi & 0xff}.${lo >> 8}`;
  }
  return `6:${groups.slice(0, 3).map((g) => g.toString(16)).join(':')}`;
}

function ipv4Subnet(text: string): string | undefined {
  const octets = text.split('.');
  if (octets.length !== 4 || octets.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) return undefined;
  return `4:${octets.slice(0, 3).map(Number).join('.')}`;
}

/** The eight 16-bit groups of an IPv6 text (with "::" and a dotted IPv4 tail), or undefined. */
function expandIpv6(text: string): number[] | undefined {
  const zone = text.indexOf('%');
  let t = (zone >= 0 ? text.slice(0, zone) : text).toLowerCase();
  const lastColon = t.lastIndexOf(':');
  const last = t.slice(lastColon + 1);
  if (last.includes('.')) {
    // A dotted IPv4 tail stands for the last two groups: rewrite it as hex.
    if (ipv4Subnet(last) === undefined) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    t = `${t.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
}

/** The set of networks a node occupies (empty if it lists no IP address we can read). */
export function subnetsOf(node: Pick<NodeDescriptor, 'addresses'>): Set<string> {
  const out = new Set<string>();
  for (const a of node.addresses) {
    const s = subnetOf(a);
    if (s !== undefined) out.add(s);
  }
  return out;
}

function overlaps(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}

/** A uniformly shuffled copy (Fisher-Yates over `randomInt`). */
export function shuffled<T>(items: readonly T[], randomInt: RandomInt): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

function pathFailed(message: string, reason: string): SamizdatError {
  return new SamizdatError('PATH_FAILED', message, { detail: { reason } });
}

/**
 * Picks guard, middle and exit. Tries the pinned guards and then the middles in random order, so
 * a path is found whenever one exists; the exit is uniform among those that fit the chosen pair.
 */
export function selectPath(options: PathSelectOptions): SelectedPath {
  const { nodes, randomInt, allowSameSubnet } = options;
  const list: unknown = nodes;
  if (!Array.isArray(list)) throw new SamizdatError('INVALID_ARGUMENT', 'nodes must be an array of node descriptors');
  if (typeof randomInt !== 'function') throw new SamizdatError('INVALID_ARGUMENT', 'randomInt must be a function');
  const banned = new Set<string>(options.exclude ?? []);
  if (options.target !== undefined) banned.add(options.target);
  const usable = nodes.filter((n) => !banned.has(n.peerId));
  const subnets = new Map<string, Set<string>>(usable.map((n) => [n.peerId, subnetsOf(n)]));
  const clash = (a: NodeDescriptor, b: NodeDescriptor): boolean =>
    a.peerId === b.peerId || (!allowSameSubnet && overlaps(subnets.get(a.peerId) ?? new Set(), subnets.get(b.peerId) ?? new Set()));

  const pinned = new Set(options.guards);
  const guards = usable.filter((n) => pinned.has(n.peerId));
  if (guards.length === 0) throw pathFailed('none of the pinned guards is usable for this request', 'no-guard');
  if (usable.length < 3) throw pathFailed(`a path needs 3 nodes besides the target; the consensus offers ${usable.length}`, 'too-few-nodes');

  for (const guard of shuffled(guards, randomInt)) {
    const middles = usable.filter((n) => !clash(n, guard));
    for (const middle of shuffled(middles, randomInt)) {
      const exits = middles.filter((n) => !clash(n, middle));
      const exit = exits.length === 0 ? undefined : exits[randomInt(exits.length)];
      if (exit !== undefined) return { guard, middle, exit };
    }
  }
  throw pathFailed('no guard, middle and exit in distinct networks are available', 'subnets');
}

/** A RandomInt over a source of random bytes (rejection sampling, no modulo bias). */
export function randomIntFrom(randomBytes: (length: number) => Uint8Array): RandomInt {
  return (bound: number): number => {
    if (!Number.isSafeInteger(bound) || bound <= 0 || bound > 0x1_0000_0000) throw new SamizdatError('INVALID_ARGUMENT', 'bound must be an integer from 1 to 2^32');
    const limit = Math.floor(0x1_0000_0000 / bound) * bound;
    for (;;) {
      const b = randomBytes(4);
      const v = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
      if (v < limit) return v % bound;
    }
  };
}

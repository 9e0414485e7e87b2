/**
 * What the messenger (messenger.ts) offers and needs: its options, its interface, what send and
 * receive return, and the constants callers and tests read. Types and constants only.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import type { AccountKeys } from '../identity/account-keys.ts';
import type { Contact } from './contacts.ts';
import type { MailboxClient } from './mailbox-client.ts';
import type { ResumedSend } from './outbox-delivery.ts';
import type { PrekeyManager } from './prekeys.ts';
import type { ProcessLiveness } from './process-liveness.ts';
import type { ProfileDb } from './profile-db.ts';
import type { SwarmMailbox } from './swarm-mailbox.ts';

/** A send succeeds once this many members of the recipient's swarm hold the envelope. */
export const MIN_STORED_REPLICAS = 2;
/** Envelopes live this long in the recipient's swarm: the longest mailbox TTL (DESIGN.md §4). */
export const MESSAGE_TTL_MS = 14 * 86_400_000;
/**
 * How often an unforced prepare() looks again (it reads and decrypts the prekeys, contacts and
 * settings): far below every rotation interval (10 s at least, 5 min on the devnet).
 */
export const PREPARE_INTERVAL_MS = 5_000;

/** How often prepare() drops expired skipped message keys from every stored session: hourly (and once per process). */
export const SKIPPED_KEY_SWEEP_INTERVAL_MS = 3_600_000;
export interface IncomingMessage {
  /** The message id chosen by the sender (32 hex digits). */
  readonly id: string;
  /** The sender's Account ID. */
  readonly from: string;
  /** The sender's contact name, or null for an account that is not a contact. */
  readonly fromName: string | null;
  readonly text: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  /** True when the sender started a new session although one existed (its safety may have changed). */
  readonly sessionReset: boolean;
  /** True when the sender is not a contact (yet): a message request, text only. */
  readonly request: boolean;
  /** 'text' for a message; 'accepted' when the sender accepted our request (text is empty). */
  readonly kind: 'text' | 'accepted';
  /**
   * True when the sender is a verified contact whose identity keys no longer match the ones
   * verified: someone else may hold their account. Warn; sending to them is held until re-verified.
   */
  readonly identityChanged: boolean;
}

export interface SendResult {
  readonly id: string;
  /** Swarm members known to hold the envelope. */
  readonly replicas: number;
  /** True when the stored session could not be read and this message started a new one (tell the user). */
  readonly sessionReset: boolean;
}

export interface SendOptions {
  /**
   * Called with the message id once the message is on disk in state 'sending', before the
   * envelope travels (a UI shows it at once and hears the outcome from the returned promise).
   */
  readonly onRecorded?: (id: string) => void;
}

export interface MessengerOptions {
  readonly crypto: CryptoProvider;
  readonly now: () => number;
  readonly db: ProfileDb;
  readonly keys: AccountKeys;
  /** Account-level mailbox access (onion paths in real use). */
  readonly swarm: SwarmMailbox;
  /** The node-level client under `swarm`, to store a copy on a second member when needed. */
  readonly mailbox: MailboxClient;
  /** The network's prekeyRotationMs. */
  readonly prekeyRotationMs: number;
  /** Proof-of-work bits to pay for deposits to strangers before a node asks (default DEFAULT_DEPOSIT_POW_BITS). */
  readonly depositPowBits?: number;
  /**
   * Told about envelopes that could not be opened: the error code, and the sender's Account ID
   * when the envelope named an authenticated sender whose session has parted from ours.
   */
  readonly onUndecryptable?: (code: string, from: string | undefined) => void;
  /** Tells which processes still run, to find sends that a crashed one left (default: this machine's). */
  readonly liveness?: ProcessLiveness;
  /**
   * Told the outcome of each text message that `prepare` delivered for a process that had ended
   * (a UI showing it as 'sending' updates it); `error` when it failed.
   */
  readonly onResumed?: (outcome: ResumedSend) => void;
  /** Pending requests kept before strangers' first messages are dropped (default MAX_PENDING_REQUESTS). */
  readonly maxPendingRequests?: number;
}

export interface Messenger {
  /**
   * Rotates prekeys when due and publishes what the swarm should hold (bundle, mailbox policy,
   * backup of blocks and settings) when it changed. Long-poll loops call it every round: it does
   * the work at most once per PREPARE_INTERVAL_MS unless `force` (after a local change). It first
   * finishes the sends that a process which has since ended left in state 'sending' (outbox.ts):
   * each ends 'stored' or 'failed', as if that process had lived.
   */
  prepare(options?: { readonly force?: boolean }): Promise<void>;
  /**
   * Sends `text` to a contact (name or Account ID) or to any Account ID. Writing to an account
   * whose request is pending accepts it; a blocked account is refused (INVALID_ARGUMENT).
   */
  send(to: string, text: string, options?: SendOptions): Promise<SendResult>;
  /** Accepts a message request (optionally naming the contact) and tells the requester. */
  accept(ref: string, name?: string): Promise<Contact>;
  /** Reads the inbox once (waiting up to `waitMs` for something new) and returns what arrived. */
  receive(options?: { readonly waitMs?: number; readonly signal?: AbortSignal }): Promise<IncomingMessage[]>;
  readonly prekeys: PrekeyManager;
}

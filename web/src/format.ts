/** Small display helpers: times, Account IDs, state labels. */
import type { MessageState } from './model.ts';

/** "sz1qxy…k3f9": enough to tell IDs apart at a glance; the full ID is always shown nearby. */
export function shortId(accountId: string): string {
  return accountId.length <= 16 ? accountId : `${accountId.slice(0, 8)}…${accountId.slice(-6)}`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A Date for `ms`, or undefined where none can hold it (a peer chose the time a message shows). */
function dateOf(ms: number): Date | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A time of day for today, else date and time ('' for a time no Date can hold). */
export function when(ms: number, now = Date.now()): string {
  const d = dateOf(ms);
  if (d === undefined) return '';
  return new Date(now).toDateString() === d.toDateString() ? timeFormat.format(d) : dateTimeFormat.format(d);
}

export function fullTime(ms: number): string {
  const d = dateOf(ms);
  return d === undefined ? '' : dateTimeFormat.format(d);
}

/** The machine-readable form for a <time> element ('' for a time no Date can hold). */
export function isoTime(ms: number): string {
  return dateOf(ms)?.toISOString() ?? '';
}

/** "in 12 minutes", "3 hours ago" */
export function relative(ms: number, now = Date.now()): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), 'second');
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  return rtf.format(Math.round(diff / 86_400_000), 'day');
}

export const STATE_LABELS: Readonly<Record<MessageState, string>> = {
  sending: 'Sending…',
  stored: 'Stored',
  failed: 'Not sent',
  received: 'Received',
  held: 'Held',
};

/** What each state means, for the title and for screen readers. */
export const STATE_DESCRIPTIONS: Readonly<Record<MessageState, string>> = {
  sending: 'Sending through the network',
  stored: 'Stored on the network for the recipient to pick up',
  failed: 'Could not be sent',
  received: 'Received',
  held: 'Held: their safety code changed since you verified them; verify them again to read it',
};

/** What a held message shows instead of its text (the server does not send the text). */
export const HELD_TEXT = 'Held: their safety code changed. Verify them again to read this message.';

/** Bytes of UTF-8 in `text` (the message limit is in bytes). */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

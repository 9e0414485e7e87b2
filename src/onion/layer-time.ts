/**
 * Freshness of the layers that carry a KEM (create layers, opening target layers): each holds the
 * client's clock, and a hop refuses one that is too old or too far ahead, or that was made before
 * the hop started. So a hop's replay cache needs to remember a layer only for the age limit, and
 * a restarted hop (whose in-memory cache is empty) cannot be fed layers recorded before it
 * restarted. Pure: the caller passes its clock and its start time.
 */
import { SamizdatError } from '../errors.ts';
import { coarseClockMs } from '../wire/coarse-clock.ts';

/**
 * How far a KEM layer's clock may be from the hop's: 5 minutes either way. Mailbox owner requests
 * already need the client's clock within 60 s (OwnerAuth), so this only adds a looser bound for the
 * onion hops, and it is also how long a hop's replay cache must remember each layer.
 */
export const ONION_LAYER_MAX_AGE_MS = 5 * 60_000;

export interface LayerClock {
  /** The hop's clock, ms since the epoch. */
  readonly nowMs: number;
  /** When the hop (its replay caches) started; layers made earlier are refused. */
  readonly notBeforeMs: number;
}

/**
 * Checks a layer's `sent_at_ms`; returns when the replay cache may forget it: the first
 * millisecond the age check refuses it (it accepts up to sent + ONION_LAYER_MAX_AGE_MS inclusive,
 * and the cache forgets an entry at its expiry). CLOCK_SKEW when outside the window or older than
 * the hop's start.
 */
export function checkLayerTime(sentAtMs: bigint, clock: LayerClock): number {
  const sent = Number(sentAtMs);
  if (Math.abs(clock.nowMs - sent) > ONION_LAYER_MAX_AGE_MS) {
    throw new SamizdatError('CLOCK_SKEW', `onion layer clock is more than ${ONION_LAYER_MAX_AGE_MS / 1000} s from this hop's`, {
      detail: { skewMs: clock.nowMs - sent },
    });
  }
  // Clients send whole seconds: a layer made in the second the hop started is let through.
  if (sent < coarseClockMs(clock.notBeforeMs)) {
    throw new SamizdatError('CLOCK_SKEW', 'onion layer was made before this hop started; build it again', {
      detail: { skewMs: clock.nowMs - sent },
    });
  }
  return sent + ONION_LAYER_MAX_AGE_MS + 1;
}

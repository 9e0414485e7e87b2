/**
 * What the client sees of the network: online or not, how fresh its copy of the directory
 * (consensus) is, how many nodes it can reach, and the onion path its messages take now.
 */
import { useEffect, useState } from 'preact/hooks';
import { fullTime, relative } from './format.ts';
import type { NetworkStatus } from './model.ts';
import { ViewHeading } from './ui.tsx';

/** How often the panel asks the server again, and how often it redraws relative times. */
const REFRESH_MS = 15_000;
const TICK_MS = 5_000;

function freshness(c: NonNullable<NetworkStatus['consensus']>, now: number): { label: string; fresh: boolean } {
  if (now < c.validAfterMs) return { label: `not valid yet (from ${relative(c.validAfterMs, now)})`, fresh: false };
  if (now > c.validUntilMs) return { label: `out of date: expired ${relative(c.validUntilMs, now)}`, fresh: false };
  return { label: `fresh: valid until ${relative(c.validUntilMs, now)}`, fresh: true };
}

export function NetworkView({ network, onRefresh }: { network: NetworkStatus | null; onRefresh: () => Promise<void> }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const refresh = setInterval(() => void onRefresh(), REFRESH_MS);
    const tick = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => {
      clearInterval(refresh);
      clearInterval(tick);
    };
  }, [onRefresh]);
  return (
    <section class="network">
      <ViewHeading>Network</ViewHeading>
      {network === null ? (
        <p class="placeholder">Loading…</p>
      ) : (
        <>
          <dl class="facts">
            <dt>Connection</dt>
            <dd data-testid="network-online" class={network.online ? 'online' : 'offline'}>
              {network.online ? 'Online' : 'Offline: messages wait here until a path works again'}
            </dd>
            <dt>Directory (consensus)</dt>
            <dd data-testid="network-consensus">
              {network.consensus === null ? (
                'none yet'
              ) : (
                <>
                  <span class={freshness(network.consensus, now).fresh ? 'online' : 'offline'}>{freshness(network.consensus, now).label}</span>
                  <br />
                  <span class="hint">
                    {fullTime(network.consensus.validAfterMs)} – {fullTime(network.consensus.validUntilMs)}, {network.consensus.nodes} nodes listed
                  </span>
                </>
              )}
            </dd>
            {network.lastError === null ? null : (
              <>
                <dt>Last problem</dt>
                <dd class="offline" data-testid="network-error">
                  <code>{network.lastError}</code>
                </dd>
              </>
            )}
            <dt>Reachable nodes</dt>
            <dd data-testid="network-reachable">{network.reachableNodes}</dd>
          </dl>
          <h3>Current onion path</h3>
          {network.path === null ? (
            <p data-testid="network-path">No path built yet: one is built when a message is sent or fetched.</p>
          ) : (
            <ol class="path" data-testid="network-path">
              <li>
                <span class="hop">Guard</span> <code>{network.path.guard}</code>
              </li>
              <li>
                <span class="hop">Middle</span> <code>{network.path.middle}</code>
              </li>
              <li>
                <span class="hop">Exit</span> <code>{network.path.exit}</code>
              </li>
            </ol>
          )}
          <p class="hint">Each message goes through three nodes: the guard knows your address but not the destination, the exit knows the destination but not you.</p>
          <div class="actions">
            <button type="button" onClick={() => void onRefresh().then(() => setNow(Date.now()))}>
              Refresh
            </button>
          </div>
        </>
      )}
    </section>
  );
}

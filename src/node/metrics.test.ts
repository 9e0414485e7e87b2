import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSamizdatError } from '../errors.ts';
import { renderMetrics, serveMetrics } from './metrics.ts';

describe('metrics', () => {
  it('renders gauges in the Prometheus text format and skips unreadable ones', () => {
    const text = renderMetrics([
      { name: 'samizdat_messages', help: 'Messages held.', read: () => 42 },
      { name: 'samizdat_broken', help: 'Fails.', read: () => { throw new Error('no'); } },
    ]);
    assert.equal(text, '# HELP samizdat_messages Messages held.\n# TYPE samizdat_messages gauge\nsamizdat_messages 42\n');
  });

  it('serves /metrics over HTTP on loopback and 404 elsewhere', async () => {
    let n = 0;
    const server = await serveMetrics('127.0.0.1:0', [{ name: 'samizdat_scrapes', help: 'Scrapes.', read: () => ++n }]);
    try {
      const res = await fetch(`http://${server.address}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^samizdat_scrapes 1$/m);
      assert.equal((await fetch(`http://${server.address}/other`)).status, 404);
    } finally {
      await server.stop();
    }
  });

  it('refuses an address that is not IP:PORT', async () => {
    await assert.rejects(serveMetrics('localhost:9464', []), (e) => isSamizdatError(e, 'USAGE'));
  });
});

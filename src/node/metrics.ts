/**
 * Operator metrics in the Prometheus text format (version 0.0.4), served over plain HTTP on an
 * address the operator chooses (loopback by default). Every value is read when scraped from the
 * running services; nothing about accounts or message contents is exposed, only counts.
 */
import { createServer, type Server } from 'node:http';
import { SamizdatError } from '../errors.ts';

export interface Gauge {
  readonly name: string;
  readonly help: string;
  read(): number;
}

/** The exposition text for `gauges`. */
export function renderMetrics(gauges: readonly Gauge[]): string {
  const lines: string[] = [];
  for (const g of gauges) {
    let value: number;
    try {
      value = g.read();
    } catch {
      continue; // a gauge that cannot be read right now is left out of this scrape
    }
    lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`, `${g.name} ${Number.isFinite(value) ? value : 'NaN'}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface MetricsServer {
  /** "host:port" actually bound. */
  readonly address: string;
  stop(): Promise<void>;
}

/** Serves GET /metrics on `hostPort` ("127.0.0.1:9464"); everything else is 404. */
export async function serveMetrics(hostPort: string, gauges: readonly Gauge[]): Promise<MetricsServer> {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(hostPort);
  if (match === null) throw new SamizdatError('USAGE', `--metrics wants IP:PORT (for example 127.0.0.1:9464), not ${hostPort}`);
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  const port = Number(match[2]);
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url === '/')) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics(gauges));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const address = bound !== null && typeof bound === 'object' ? `${host}:${bound.port}` : hostPort;
  return {
    address,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

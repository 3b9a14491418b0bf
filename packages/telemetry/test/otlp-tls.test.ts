import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureLocalPki } from '@tessera/local-infra';

/**
 * Spans leave a service over TLS like every other hop (compose: Jaeger with a certificate of the
 * stack's CA): the exporter trusts the CA it is given in OTEL_EXPORTER_OTLP_CERTIFICATE, and without
 * it the private CA's collector gets no span.
 */
const pki = ensureLocalPki();

interface Collector {
  url: string;
  requests: string[];
  tlsFailures: number;
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const identity = pki.identity('jaeger');
  const requests: string[] = [];
  let tlsFailures = 0;
  const server: Server = createServer({ cert: identity.cert, key: identity.key }, (request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  server.on('tlsClientError', () => (tlsFailures += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    requests,
    get tlsFailures() {
      return tlsFailures;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Runs fixtures/export-one-span.ts in a child process (see there why) and waits for it to exit. */
function exportOneSpan(options: { otlpEndpoint: string; otlpCaFile?: string }): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'export-one-span.ts')], {
      env: { PATH: process.env['PATH'], OTLP_ENDPOINT: options.otlpEndpoint, ...(options.otlpCaFile ? { OTLP_CA_FILE: options.otlpCaFile } : {}) },
      stdio: 'ignore',
    });
    child.on('exit', (code) => resolve(code));
  });
}

describe('OTLP export over TLS', () => {
  it('delivers spans to a collector whose certificate chains to OTEL_EXPORTER_OTLP_CERTIFICATE', async () => {
    const collector = await startCollector();
    try {
      expect(await exportOneSpan({ otlpEndpoint: collector.url, otlpCaFile: pki.caFile })).toBe(0);
      expect(collector.requests).toEqual(['POST /v1/traces']);
      expect(collector.tlsFailures).toBe(0);
    } finally {
      await collector.close();
    }
  });

  it('sends no span to that collector without the CA: the handshake fails, nothing is posted', async () => {
    const collector = await startCollector();
    try {
      // The flush may reject with the handshake error: what matters is what the collector saw.
      await exportOneSpan({ otlpEndpoint: collector.url });
      expect(collector.requests).toEqual([]);
      expect(collector.tlsFailures).toBeGreaterThan(0);
    } finally {
      await collector.close();
    }
  });
});

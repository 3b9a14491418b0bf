import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account';

export interface S3ServerOptions {
  port?: number;
  /** Where objects are kept; a fresh temporary folder (removed on close) when absent. */
  directory?: string;
  accessKey: string;
  secretKey: string;
  /** The server certificate and key (PEM): the store speaks HTTPS only (the local CA's `s3` leaf). */
  tls: { cert: string; key: string };
}

export interface RunningS3Server {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An S3-compatible server in this process, for local runs and tests (docker-compose runs real
 * MinIO). s3rver speaks the S3 REST API with SigV4 auth, so the platform's `minio` client code
 * is exactly what runs against AWS. Its well-known default key pair is revoked and replaced by
 * the generated credentials, so a request signed with anything else is refused. Served over HTTPS
 * only, like every other local hop.
 */
export async function startS3Server(options: S3ServerOptions): Promise<RunningS3Server> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'tessera-s3-'));
  AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  new AWSAccount(100000000001, 'tessera-local').createKeyPair(options.accessKey, options.secretKey);
  // s3rver serves HTTPS itself when given a key and certificate; there is no plaintext listener.
  const server = new S3rver({ port: options.port ?? 0, address: '127.0.0.1', directory, silent: true, resetOnClose: false, key: options.tls.key, cert: options.tls.cert });
  const { port } = await server.run();
  return {
    endpoint: `https://127.0.0.1:${port}`,
    close: async () => {
      server.httpServer?.closeAllConnections();
      await server.close().catch(() => undefined);
      if (temporary) rmSync(directory, { recursive: true, force: true });
    },
  };
}

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The service identities the local CA issues a leaf for (server and client certificates). */
export const localServiceIdentities = ['gateway', 'datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants', 'workers'] as const;
/** The stores (and the OpenID provider and the key service) the local CA issues a server certificate for. */
export const localStoreIdentities = ['mariadb', 'redis', 's3', 'oidc', 'keys', 'jaeger'] as const;

const repoRoot = resolve(__dirname, '..', '..', '..');
const script = join(repoRoot, 'scripts', 'local-pki.sh');

/** TESSERA_PKI_DIR, or `.tessera/pki` at the repository root. */
export function defaultPkiDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env['TESSERA_PKI_DIR'] ? resolve(env['TESSERA_PKI_DIR']) : join(repoRoot, '.tessera', 'pki');
}

export interface LocalPki {
  directory: string;
  caFile: string;
  /** The CA certificate (PEM). */
  ca: string;
  /** A service identity's certificate and key with the CA (PEM texts), ready for a TLS server or client. */
  identity(name: string): { ca: string; cert: string; key: string };
  /** The files of an identity, for whatever reads paths (stores, curl, env variables). */
  files(name: string): { certFile: string; keyFile: string };
  /**
   * A client-only leaf of the same CA for workers of one region: CN `name` (`workers`, the shared
   * pool, or `workers-dedicated-<tenant>`) and the region's URI SAN, issued on first use; its files
   * and its leaf name (`<name>.<region>`, for `identity`).
   */
  clientIdentity(name: string, region: string): { certFile: string; keyFile: string; leaf: string };
  /** Removes such a leaf (a test's throwaway tenant). */
  removeClientIdentity(name: string, region: string): void;
}

/**
 * The local CA and its certificates, created on first use by scripts/local-pki.sh (one script for
 * the stores, which need theirs before `npm ci`, and for the services). Later calls only read the
 * files; creation is idempotent and safe for concurrent callers (the script locks and renames).
 */
export function ensureLocalPki(directory = defaultPkiDirectory()): LocalPki {
  const names = [...localServiceIdentities, ...localStoreIdentities];
  const complete = existsSync(join(directory, 'ca.pem')) && names.every((name) => existsSync(join(directory, `${name}.pem`)) && existsSync(join(directory, `${name}-key.pem`)));
  if (!complete) execFileSync('bash', [script, directory], { stdio: ['ignore', 'ignore', 'pipe'] });
  const caFile = join(directory, 'ca.pem');
  const ca = readFileSync(caFile, 'utf8');
  const files = (name: string) => ({ certFile: join(directory, `${name}.pem`), keyFile: join(directory, `${name}-key.pem`) });
  const cache = new Map<string, { ca: string; cert: string; key: string }>();
  return {
    directory,
    caFile,
    ca,
    files,
    clientIdentity: (name, region) => {
      const leaf = `${name}.${region}`;
      const paths = files(leaf);
      if (!existsSync(paths.certFile) || !existsSync(paths.keyFile)) execFileSync('bash', [script, directory, leaf], { stdio: ['ignore', 'ignore', 'pipe'] });
      return { ...paths, leaf };
    },
    removeClientIdentity: (name, region) => {
      const leaf = `${name}.${region}`;
      const paths = files(leaf);
      rmSync(paths.certFile, { force: true });
      rmSync(paths.keyFile, { force: true });
      cache.delete(leaf);
    },
    identity: (name) => {
      let identity = cache.get(name);
      if (!identity) {
        const { certFile, keyFile } = files(name);
        identity = { ca, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
        cache.set(name, identity);
      }
      return identity;
    },
  };
}

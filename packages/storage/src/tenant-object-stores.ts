import { Client } from 'minio';
import { CredentialProvider } from 'minio/dist/main/CredentialProvider.js';
import { Credentials } from 'minio/dist/main/Credentials.js';
import { objectStoreConnection, objectStoreTlsCa, objectStoreTransport, type ObjectStoreClient } from './object-store';
import type { ObjectStoreConfig } from '@tessera/config';
import { StsTenantCredentials } from './tenant-credentials';
import type { TenantAccessScope } from './tenant-session-policy';

/**
 * Where code acting for a tenant gets its S3 client. Under `sts` each tenant gets a client whose
 * credentials reach only that tenant's bucket; under `static` (the in-process test store, which
 * enforces no policies) every tenant shares the service's client.
 */
export interface TenantObjectStores {
  readonly mode: 'static' | 'sts';
  /** For requests and jobs acting for `tenantId`. */
  forTenant(tenantId: string): ObjectStoreClient;
  /** For provisioning and erasure: may also create and delete the tenant's bucket. */
  forBucketLifecycle(tenantId: string): ObjectStoreClient;
}

export function staticTenantObjectStores(client: ObjectStoreClient): TenantObjectStores {
  return { mode: 'static', forTenant: () => client, forBucketLifecycle: () => client };
}

/** minio asks its provider before every request; this one answers from the tenant's cached session. */
class TenantCredentialProvider extends CredentialProvider {
  constructor(
    private readonly source: StsTenantCredentials,
    private readonly tenantId: string,
    private readonly scope: TenantAccessScope,
  ) {
    super({ accessKey: '', secretKey: '' });
  }

  override async getCredentials(): Promise<Credentials> {
    const session = await this.source.credentialsFor(this.tenantId, this.scope);
    return new Credentials({ accessKey: session.accessKey, secretKey: session.secretKey, sessionToken: session.sessionToken });
  }
}

export interface StsTenantObjectStoresOptions {
  endpoint: string;
  /** OBJECT_STORE_TLS_CA_FILE: the CA the store's certificate must chain to (https:// endpoints). */
  tlsCaFile?: string | undefined;
  credentials: StsTenantCredentials;
  /** Clients kept (a client is cheap; its cached bucket regions are worth keeping). */
  maxClients?: number;
}

export function stsTenantObjectStores(options: StsTenantObjectStoresOptions): TenantObjectStores {
  const clients = new Map<string, ObjectStoreClient>();
  const maxClients = options.maxClients ?? 2000;
  const clientFor = (tenantId: string, scope: TenantAccessScope): ObjectStoreClient => {
    const key = `${scope}:${tenantId}`;
    const existing = clients.get(key);
    if (existing) {
      // Re-insert: Map order is insertion order, so the oldest entry is the least recently used.
      clients.delete(key);
      clients.set(key, existing);
      return existing;
    }
    const client = new Client({ ...objectStoreConnection(options.endpoint), ...objectStoreTransport(options), credentialsProvider: new TenantCredentialProvider(options.credentials, tenantId, scope) });
    clients.set(key, client);
    if (clients.size > maxClients) clients.delete(clients.keys().next().value!);
    return client;
  };
  return { mode: 'sts', forTenant: (tenantId) => clientFor(tenantId, 'objects'), forBucketLifecycle: (tenantId) => clientFor(tenantId, 'bucket-lifecycle') };
}



/**
 * The tenant clients a process's configuration asks for. `bucketName` is the platform's naming
 * rule (tenancy owns it); the session policy is built from it, so naming and policy cannot drift.
 */
export function createTenantObjectStores(
  config: Pick<ObjectStoreConfig, 'endpoint' | 'accessKey' | 'secretKey' | 'defaultRegion' | 'credentials' | 'tlsCaFile'>,
  sharedClient: ObjectStoreClient,
  bucketName: (tenantId: string) => string,
): TenantObjectStores {
  const credentials = config.credentials ?? { mode: 'static' };
  if (credentials.mode === 'static') return staticTenantObjectStores(sharedClient);
  const source = new StsTenantCredentials({
    stsEndpoint: credentials.stsEndpoint,
    region: config.defaultRegion,
    baseCredentials: { accessKey: config.accessKey, secretKey: config.secretKey },
    roleArn: credentials.roleArn,
    durationSeconds: credentials.sessionSeconds,
    bucketName,
    tlsCa: objectStoreTlsCa(config),
  });
  return stsTenantObjectStores({ endpoint: config.endpoint, tlsCaFile: config.tlsCaFile, credentials: source });
}

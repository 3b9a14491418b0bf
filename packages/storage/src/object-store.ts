import { Agent } from 'node:https';
import { Client, type ClientOptions } from 'minio';
import { readCaFile, type ObjectStoreConfig } from '@tessera/config';

/** Endpoint settings shared by the service's own client and the per-tenant clients. */
export function objectStoreConnection(endpoint: string): Pick<ClientOptions, 'endPoint' | 'port' | 'useSSL' | 'pathStyle'> {
  const url = new URL(endpoint);
  const useSSL = url.protocol === 'https:';
  return {
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    // No fixed `region`: a minio client pinned to one region refuses makeBucket in any other, and
    // tenants pick their region. Unpinned, buckets are created in the region asked for, and each
    // bucket's region is looked up (GetBucketLocation, cached per bucket) before it is used.
    // Path-style works with every S3-compatible store; virtual-host style needs wildcard DNS.
    pathStyle: true,
  };
}

const agentsByCaFile = new Map<string, Agent>();

/** The longest a pooled socket to the store stays open unused, for stores that announce no keep-alive timeout. */
const idleSocketTimeoutMs = 30_000;

/**
 * The CA text of OBJECT_STORE_TLS_CA_FILE (read once per process), for the store's https:// clients
 * that are not minio's (STS AssumeRole). Undefined: the public roots.
 */
export function objectStoreTlsCa(config: { tlsCaFile?: string | undefined }): string | undefined {
  return config.tlsCaFile === undefined ? undefined : readCaFile('OBJECT_STORE_TLS_CA_FILE', config.tlsCaFile);
}

/**
 * How a minio client reaches the store: over https:// with a private CA, through one keep-alive
 * agent per process that trusts that CA alone (the store's name is checked against its
 * certificate as usual). Otherwise minio's default agents.
 */
export function objectStoreTransport(config: { endpoint: string; tlsCaFile?: string | undefined }): Pick<ClientOptions, 'transportAgent'> {
  if (config.tlsCaFile === undefined || !config.endpoint.startsWith('https://')) return {};
  let agent = agentsByCaFile.get(config.tlsCaFile);
  if (!agent) {
    // An idle pooled socket is closed on our side before the store closes it (Node's agent takes the
    // store's `Keep-Alive: timeout=N` less a second; 30 s where the store announces nothing): a
    // request sent on a socket the store is closing at that moment failed with ECONNRESET, and
    // reached the caller as SERVICE_UNAVAILABLE (a local store closes idle sockets after 5 s).
    // Only idle sockets are timed: a request in progress is not.
    agent = new Agent({ keepAlive: true, timeout: idleSocketTimeoutMs, ca: objectStoreTlsCa(config) });
    agentsByCaFile.set(config.tlsCaFile, agent);
  }
  return { transportAgent: agent };
}

/**
 * The only S3 client in the platform. Speaking plain S3 through `minio` keeps us portable:
 * MinIO in docker-compose, AWS S3 in the cloud, an in-process S3 server in tests.
 */
export function createObjectStoreClient(config: Pick<ObjectStoreConfig, 'endpoint' | 'accessKey' | 'secretKey' | 'defaultRegion' | 'tlsCaFile'>): Client {
  return new Client({ ...objectStoreConnection(config.endpoint), ...objectStoreTransport(config), accessKey: config.accessKey, secretKey: config.secretKey });
}

export type ObjectStoreClient = Client;

import { Client, type ClientOptions } from 'minio';
import type { ObjectStoreConfig } from '@tessera/config';

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

/**
 * The only S3 client in the platform. Speaking plain S3 through `minio` keeps us portable:
 * MinIO in docker-compose, AWS S3 in the cloud, an in-process S3 server in tests.
 */
export function createObjectStoreClient(config: Pick<ObjectStoreConfig, 'endpoint' | 'accessKey' | 'secretKey' | 'defaultRegion'>): Client {
  return new Client({ ...objectStoreConnection(config.endpoint), accessKey: config.accessKey, secretKey: config.secretKey });
}

export type ObjectStoreClient = Client;

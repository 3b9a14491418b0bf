import type { ObjectStoreClient } from './object-store';

/**
 * The object store of a service that holds no object-store credentials (the gateway, jobs and
 * metrics services keep no objects). Any use is a bug in the service, not something a caller
 * did: it fails loudly, naming the service, instead of falling back to some shared key.
 */
export function unavailableObjectStore(serviceName: string): ObjectStoreClient {
  return new Proxy({} as ObjectStoreClient, {
    get(_target, property) {
      // Promise resolution and inspection probe `then` and symbols: answer them like a plain object.
      if (property === 'then' || typeof property === 'symbol') return undefined;
      return () => {
        throw new Error(`the ${serviceName} service holds no object-store credentials (called ${String(property)})`);
      };
    },
  });
}

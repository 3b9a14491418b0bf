/**
 * Parent-side short-lived cache of model files. A session reload (eviction in a child, a restarted
 * process, a second process of a dedicated pool) then costs no storage read and no decryption;
 * concurrent misses for the same model share one `load()` call.
 * Keys include the tenant id, so one tenant's bytes can never answer another tenant's load.
 */
import { errors } from '@tessera/errors';
import { ByteLru } from './byte-lru';

export class ModelBytesCache {
  private readonly cache: ByteLru<Uint8Array>;
  private readonly inFlight = new Map<string, Promise<Uint8Array>>();
  /** Loads in flight when their tenant was forgotten: answered, never cached. */
  private readonly forgotten = new Set<string>();

  constructor(
    maxBytes: number,
    ttlMs: number,
    /** A `load()` (storage read) slower than this fails, instead of holding a process busy forever. */
    private readonly loadTimeoutMs: number,
  ) {
    this.cache = new ByteLru<Uint8Array>({ maxBytes, ttlMs });
  }

  get(tenantId: string, modelKey: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const key = `${tenantId}\u0000${modelKey}`;
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    let timer: NodeJS.Timeout | undefined;
    const timeLimit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(errors.unavailable('The model file could not be read from storage in time; retry later.')), this.loadTimeoutMs);
    });
    const loading = Promise.race([Promise.resolve().then(load), timeLimit])
      .then((bytes) => {
        if (!(bytes instanceof Uint8Array)) throw new Error('load() must resolve to a Uint8Array');
        // A model bigger than the whole budget is not cached (it would flush every other entry).
        if (bytes.byteLength <= this.maxBytes && !this.forgotten.has(key)) this.cache.set(key, bytes, bytes.byteLength);
        return bytes;
      })
      .finally(() => {
        clearTimeout(timer);
        this.inFlight.delete(key);
        this.forgotten.delete(key);
      });
    this.inFlight.set(key, loading);
    return loading;
  }

  clear(): void {
    this.cache.clear();
  }

  /** Drops every cached model file of one tenant (its erasure). A load still in flight is not cached afterwards. */
  forgetTenant(tenantId: string): void {
    const prefix = `${tenantId}\u0000`;
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
    for (const key of this.inFlight.keys()) if (key.startsWith(prefix)) this.forgotten.add(key);
  }

  private get maxBytes(): number {
    return this.cache.maxBytes;
  }
}

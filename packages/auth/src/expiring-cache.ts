/**
 * A bounded map whose entries carry their own expiry. Used to remember signatures already
 * checked (or made): verifying an ES256/RS256 JWT costs ~0.1–0.3 ms of CPU, and a client
 * sends the same token on every request until it expires.
 *
 * Eviction is by insertion order once `maxEntries` is reached (a Map iterates oldest first), which
 * is close enough to LRU here: tokens are short-lived and re-inserted on their next miss.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAtMs: number }>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, nowMs = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, expiresAtMs: number, nowMs = Date.now()): void {
    if (expiresAtMs <= nowMs || this.maxEntries === 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAtMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

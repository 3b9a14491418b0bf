/**
 * A least-recently-used map bounded by entry count and by a size the caller assigns each entry
 * (bytes, roughly): whatever clients send, it never holds more than `maxEntries` entries nor more
 * than `maxSize` units. A Map keeps insertion order, so re-inserting on a hit makes the first key
 * the least recently used one.
 */
export class BoundedLru<K, V> {
  private readonly entries = new Map<K, { value: V; size: number }>();
  private total = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxSize: number,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` unless it alone is larger than the bound (false); evicts the least recently used entries to make room. */
  set(key: K, value: V, size: number): boolean {
    this.delete(key);
    if (size > this.maxSize || this.maxEntries === 0) return false;
    this.entries.set(key, { value, size });
    this.total += size;
    while (this.entries.size > this.maxEntries || this.total > this.maxSize) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
    return true;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.size;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sum of the sizes of the entries held. */
  get totalSize(): number {
    return this.total;
  }
}

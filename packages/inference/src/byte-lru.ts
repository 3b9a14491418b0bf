/**
 * A least-recently-used map bounded by a byte budget (each entry declares its size).
 * Used for onnxruntime sessions in a child (size = model bytes, the best cheap estimate of a
 * session's memory) and for model bytes in the parent. An entry bigger than the whole budget is
 * still admitted alone — refusing it would make that model unusable — and evicts everything else.
 */
export interface ByteLruOptions<V> {
  maxBytes: number;
  /** Entries older than this are treated as absent (0 = no expiry). */
  ttlMs?: number;
  onEvict?: (key: string, value: V) => void;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  bytes: number;
  storedAt: number;
}

export class ByteLru<V> {
  // Map iteration order is insertion order: re-inserting on access makes the first key the LRU one.
  private readonly entries = new Map<string, Entry<V>>();
  private totalBytes = 0;
  private readonly now: () => number;

  constructor(private readonly options: ByteLruOptions<V>) {
    this.now = options.now ?? Date.now;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.live(key) !== undefined;
  }

  get(key: string): V | undefined {
    const entry = this.live(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores the entry and returns the keys evicted to make room. */
  set(key: string, value: V, bytes: number): string[] {
    this.delete(key);
    const evicted: string[] = [];
    for (const [oldest, entry] of this.entries) {
      if (this.totalBytes + bytes <= this.options.maxBytes) break;
      this.remove(oldest, entry);
      evicted.push(oldest);
    }
    this.entries.set(key, { value, bytes, storedAt: this.now() });
    this.totalBytes += bytes;
    return evicted;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.remove(key, entry);
    return true;
  }

  clear(): void {
    for (const [key, entry] of [...this.entries]) this.remove(key, entry);
  }

  private live(key: string): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const ttl = this.options.ttlMs ?? 0;
    if (ttl > 0 && this.now() - entry.storedAt > ttl) {
      this.remove(key, entry);
      return undefined;
    }
    return entry;
  }

  private remove(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
    this.options.onEvict?.(key, entry.value);
  }
}

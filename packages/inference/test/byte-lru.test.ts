import { ByteLru } from '../src/byte-lru';

describe('ByteLru', () => {
  it('evicts least recently used entries to stay within the byte budget', () => {
    const evicted: string[] = [];
    const lru = new ByteLru<string>({ maxBytes: 10, onEvict: (key) => evicted.push(key) });
    lru.set('a', 'A', 4);
    lru.set('b', 'B', 4);
    expect(lru.get('a')).toBe('A');
    expect(lru.set('c', 'C', 4)).toEqual(['b']);
    expect(lru.keys()).toEqual(['a', 'c']);
    expect(lru.bytes).toBe(8);
    expect(evicted).toEqual(['b']);
  });

  it('admits an entry larger than the budget alone', () => {
    const lru = new ByteLru<string>({ maxBytes: 10 });
    lru.set('a', 'A', 4);
    expect(lru.set('huge', 'H', 50)).toEqual(['a']);
    expect(lru.keys()).toEqual(['huge']);
  });

  it('expires entries after the TTL', () => {
    let now = 0;
    const lru = new ByteLru<string>({ maxBytes: 10, ttlMs: 100, now: () => now });
    lru.set('a', 'A', 1);
    now = 100;
    expect(lru.has('a')).toBe(true);
    now = 101;
    expect(lru.get('a')).toBeUndefined();
    expect(lru.bytes).toBe(0);
  });
});

import { createHash } from 'node:crypto';

/** Statistics of one column, as the PROFILE job reports them. */
export interface ColumnStatistics {
  name: string;
  type: string;
  count: number;
  nullCount: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  stddev: number | null;
  distinctEstimate: number | null;
  distinctExact: boolean | null;
  topValues: TopValue[] | null;
}

/** A frequent value: `value` is its first `topValueLength` characters when `truncated`. */
export interface TopValue {
  value: string;
  count: number;
  truncated: boolean;
}

const exactDistinctLimit = 10_000;
/** What one counted value costs the heap beyond its characters: the map entry, the string header, the number. */
const entryOverheadBytes = 96;

/**
 * The memory one profile may spend on exact distinct counts, shared by all its columns. Ten thousand
 * values per column alone is no bound on a wide file: 1 000 columns of short distinct values are
 * ten million map entries, more than a worker's heap, and a worker that dies takes the other jobs it
 * runs with it. A column that cannot get its next value from the budget goes over to the estimate
 * (as past 10 000 values) and gives back what it held, so narrow files stay exact.
 */
export class DistinctBudget {
  constructor(private remainingBytes: number) {}

  take(bytes: number): boolean {
    if (bytes > this.remainingBytes) return false;
    this.remainingBytes -= bytes;
    return true;
  }

  giveBack(bytes: number): void {
    this.remainingBytes += bytes;
  }
}

/** The default budget of one profile's exact counts (estimated heap bytes). */
export const defaultDistinctBudgetBytes = 64 * 1024 * 1024;
const sketchSize = 1024;
const topValueCount = 10;
/**
 * Characters (code points) of a top value that are reported and kept. A value may be up to 1 MiB,
 * so full values made a profile as large as the file (10 per column, up to 1 000 columns): over
 * the port's 16 MiB body limit the job failed, and below it every read of the job decrypted it.
 */
export const topValueLength = 128;

/** 32-bit FNV-1a, then a murmur finalizer: a cheap, well-spread hash for the distinct sketch. */
function hash32(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * One pass, bounded memory per column:
 * - numbers: count, min, max, mean and standard deviation (Welford's update, numerically stable);
 * - other values: exact distinct count and top values while there are at most 10 000 distinct
 *   values; beyond that a K-minimum-values sketch estimates the distinct count (±~3 %) and the
 *   top values come from the counts kept so far (approximate: flagged by distinctExact = false).
 */
export class ColumnAccumulator {
  private count = 0;
  private nullCount = 0;
  private min = Infinity;
  private max = -Infinity;
  private mean = 0;
  /**
   * Welford's sum of squared deviations, in units of `scale`² (`scale`: a power of two at least
   * as large as every |value| so far). Kept in raw units it overflows for values beyond ~1e154,
   * each of them a finite FLOAT, and the statistics became NaN, stored as null.
   */
  private m2Scaled = 0;
  private scale = 1;
  private counts: Map<string, number> | undefined = new Map();
  private readonly sketch = new Set<number>();
  private sketchMax = 0;
  /** Values longer than topValueLength, keyed by a digest of the whole value followed by its prefix. */
  private longCounts = new Map<string, number>();
  private frozenTop: TopValue[] | undefined;
  /** Bytes this column holds of the profile's budget. */
  private heldBytes = 0;

  constructor(
    readonly name: string,
    readonly type: string,
    private readonly budget: DistinctBudget = new DistinctBudget(Number.POSITIVE_INFINITY),
  ) {}

  private get numeric(): boolean {
    return this.type === 'INTEGER' || this.type === 'FLOAT' || this.type === 'BOOLEAN';
  }

  add(raw: string | undefined): void {
    if (raw === undefined || raw === '') {
      this.nullCount++;
      return;
    }
    this.count++;
    if (this.numeric) {
      const lower = raw.toLowerCase();
      const value = lower === 'true' ? 1 : lower === 'false' ? 0 : Number(raw);
      if (value < this.min) this.min = value;
      if (value > this.max) this.max = value;
      this.addNumber(value);
      return;
    }
    this.addToSketch(raw);
    if (this.counts) {
      // A long value is counted under a digest of the whole and its prefix, so it is told apart from
      // every other value while the column holds ~topValueLength characters for it, not the value.
      const prefix = prefixOf(raw, topValueLength);
      const counts = prefix === undefined ? this.counts : this.longCounts;
      const key = prefix === undefined ? raw : longValueKey(prefix, raw);
      const seen = counts.get(key);
      if (seen !== undefined) {
        counts.set(key, seen + 1);
        return;
      }
      // UTF-16: two bytes a character at most.
      const cost = entryOverheadBytes + 2 * key.length;
      if (this.counts.size + this.longCounts.size >= exactDistinctLimit || !this.budget.take(cost)) {
        this.freeze();
        return;
      }
      this.heldBytes += cost;
      counts.set(key, 1);
    }
  }

  /** From here on the distinct count is estimated and the top values are those counted so far. */
  private freeze(): void {
    this.frozenTop = this.top();
    this.counts = undefined;
    this.longCounts.clear();
    this.budget.giveBack(this.heldBytes);
    this.heldBytes = 0;
  }

  private top(): TopValue[] {
    const values: TopValue[] = [];
    for (const [value, count] of this.counts ?? []) values.push({ value, count, truncated: false });
    for (const [key, count] of this.longCounts) values.push({ value: key.slice(digestLength), count, truncated: true });
    return values
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : Number(a.truncated) - Number(b.truncated)))
      .slice(0, topValueCount);
  }

  /**
   * Welford's update (mean += delta / n), with the deviations divided by `scale` so no intermediate
   * leaves the double range: |delta / scale| ≤ 2, so the step delta / n · scale is at most scale for
   * n ≥ 2 (the first value is the mean). Dividing by a power of two is exact, so the step is the
   * plain difference: a repeated value adds exactly 0 and the mean stays that value. The mean is
   * kept within [min, max], which rounding of the steps could otherwise leave by an ulp.
   */
  private addNumber(value: number): void {
    const magnitude = Math.abs(value);
    if (magnitude > this.scale) {
      // 2^1023 at most: 2^1024 is already Infinity, and |value| < 2^1024 always.
      const grown = 2 ** Math.min(1023, Math.ceil(Math.log2(magnitude)));
      const ratio = this.scale / grown;
      this.m2Scaled *= ratio * ratio;
      this.scale = grown;
    }
    if (this.count === 1) {
      this.mean = value;
      return;
    }
    const before = value / this.scale - this.mean / this.scale;
    this.mean = Math.min(this.max, Math.max(this.min, this.mean + (before / this.count) * this.scale));
    this.m2Scaled += before * (value / this.scale - this.mean / this.scale);
  }

  /**
   * The sample standard deviation, or null when it does not fit a double (values spread over
   * nearly the whole range: e.g. ±1.7e308 → ~2.4e308). Said as null here, on purpose: a non-finite
   * number would be stored as null anyway (JSON), and could not be told apart from a bug.
   */
  private stddev(): number | null {
    if (this.count === 0) return null;
    if (this.count === 1) return 0;
    const stddev = this.scale * Math.sqrt(this.m2Scaled / (this.count - 1));
    return Number.isFinite(stddev) ? stddev : null;
  }

  private addToSketch(value: string): void {
    const h = hash32(value);
    if (this.sketch.size < sketchSize) {
      this.sketch.add(h);
      if (h > this.sketchMax) this.sketchMax = h;
      return;
    }
    if (h >= this.sketchMax || this.sketch.has(h)) return;
    this.sketch.delete(this.sketchMax);
    this.sketch.add(h);
    let max = 0;
    for (const v of this.sketch) if (v > max) max = v;
    this.sketchMax = max;
  }

  result(): ColumnStatistics {
    const base = { name: this.name, type: this.type, count: this.count, nullCount: this.nullCount };
    if (this.numeric) {
      const any = this.count > 0;
      return {
        ...base,
        min: any ? this.min : null,
        max: any ? this.max : null,
        mean: any ? this.mean : null,
        stddev: this.stddev(),
        distinctEstimate: null,
        distinctExact: null,
        topValues: null,
      };
    }
    const exact = this.counts !== undefined;
    const distinct = exact ? this.counts!.size + this.longCounts.size : Math.round(((sketchSize - 1) * 4294967296) / (this.sketchMax + 1));
    return {
      ...base,
      min: null,
      max: null,
      mean: null,
      stddev: null,
      distinctEstimate: distinct,
      distinctExact: exact,
      topValues: exact ? this.top() : (this.frozenTop ?? []),
    };
  }
}

const digestLength = 44; // base64 of a sha256

function longValueKey(prefix: string, value: string): string {
  return createHash('sha256').update(value).digest('base64') + prefix;
}

/** The first `max` code points of `value`, or undefined when it has no more than that. */
function prefixOf(value: string, max: number): string | undefined {
  if (value.length <= max) return undefined;
  let i = 0;
  for (let points = 0; points < max && i < value.length; points++) {
    const c = value.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < value.length ? 2 : 1;
  }
  return i >= value.length ? undefined : value.slice(0, i);
}

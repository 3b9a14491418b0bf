import type { LogFields, Logger } from './logger';

export interface RecurringFailureLogOptions {
  /** The same failure of the same key is logged again at most this often (with how many it hides). */
  repeatEveryMs: number;
  /** `'warn'` unless the failure means lost work. */
  level?: 'warn' | 'error';
  now?: () => number;
}

interface FailingKey {
  error: string;
  since: number;
  failures: number;
  loggedAt: number;
  hidden: number;
}

/**
 * Logs the failures of a background task that runs per key (per tenant) on a timer, without
 * repeating the same line every pass: a key's first failure, and any failure with another message,
 * are logged at once; the same failure again only every `repeatEveryMs`, carrying how many passes
 * failed since it began and how many lines were held back. When the key succeeds again, one info
 * line says it recovered. A tenant whose chain cannot be relayed (a key that no longer unwraps,
 * a dropped schema) would otherwise write a warning every second for as long as it lasts, which
 * hides every other line of the service and fills the disk of whoever collects them.
 */
export class RecurringFailureLog {
  private readonly failing = new Map<string, FailingKey>();
  private readonly now: () => number;
  private readonly level: 'warn' | 'error';

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    private readonly options: RecurringFailureLogOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.level = options.level ?? 'warn';
  }

  failed(key: string, error: unknown, fields: LogFields = {}): void {
    const text = error instanceof Error ? error.message : String(error);
    const now = this.now();
    const known = this.failing.get(key);
    if (!known || known.error !== text) {
      this.failing.set(key, { error: text, since: known?.since ?? now, failures: (known?.failures ?? 0) + 1, loggedAt: now, hidden: 0 });
      this.logger[this.level](this.message, { ...fields, error: text, ...(known ? { failingSince: new Date(known.since).toISOString(), failures: known.failures + 1 } : {}) });
      return;
    }
    known.failures += 1;
    if (now - known.loggedAt < this.options.repeatEveryMs) {
      known.hidden += 1;
      return;
    }
    this.logger[this.level](this.message, {
      ...fields,
      error: text,
      failingSince: new Date(known.since).toISOString(),
      failures: known.failures,
      notLoggedSinceLast: known.hidden,
    });
    known.loggedAt = now;
    known.hidden = 0;
  }

  succeeded(key: string, fields: LogFields = {}): void {
    const known = this.failing.get(key);
    if (!known) return;
    this.failing.delete(key);
    this.logger.info(`${this.message}: recovered`, { ...fields, failingSince: new Date(known.since).toISOString(), failures: known.failures });
  }

  /** Drops keys that are gone (an erased tenant), so the map holds only keys still visited. */
  forgetAllBut(keys: Iterable<string>): void {
    const kept = new Set(keys);
    for (const key of this.failing.keys()) if (!kept.has(key)) this.failing.delete(key);
  }

  /** Whether the key's last outcome was a failure (a task may look at such keys again even when idle). */
  isFailing(key: string): boolean {
    return this.failing.has(key);
  }

  /** The keys failing now (for tests and health reports). */
  failingKeys(): string[] {
    return [...this.failing.keys()];
  }
}

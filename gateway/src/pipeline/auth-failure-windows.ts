import { clientAddressKey } from './client-address-key';

/** One refused authentication, as the audit trail describes it (claims read unverified, only as hints). */
export interface AuthFailure {
  action: string;
  /** The tenant the token claimed (unverified), or null when it named none. */
  claimedTenant: string | null;
  sourceIp: string | undefined;
  /** The token's `sub`, unverified ('anonymous' without one). */
  subject: string;
  reason: string;
  tokenPresent: boolean;
  requestId: string;
}

/** The failures of one window beyond the first (which was recorded as it happened). */
export interface AuthFailureSummary {
  action: string;
  claimedTenant: string | null;
  /** The address key failures came from, or '*' for failures folded together from many addresses. */
  source: string;
  windowStartMs: number;
  windowMs: number;
  /** Failures not recorded one by one: the window's total minus its first. */
  count: number;
  /** The one subject the window's failures named, or '*' when they named several. */
  subject: string;
  /** Distinct subjects seen, counted up to `maxSubjectsCounted`. */
  subjects: number;
  lastReason: string;
  lastRequestId: string;
  tokenPresent: boolean;
}

export interface AuthFailureWindowsOptions {
  /** Width of a window (default one minute). */
  windowMs?: number;
  /** Distinct source addresses per (tenant, action) and window before the rest fold into one `source: '*'` window. */
  maxSourcesPerTenant?: number;
  /** Distinct windows per window period, all tenants together, before the rest fold into one window per action naming no tenant. */
  maxWindows?: number;
  now?: () => number;
}

/** Where a failure went: `recordNow` when it opened a window (it is written at once), otherwise it was only counted. */
export interface WindowAssignment {
  recordNow: boolean;
  claimedTenant: string | null;
  source: string;
}

interface OpenWindow {
  action: string;
  claimedTenant: string | null;
  source: string;
  startMs: number;
  total: number;
  subjects: Set<string>;
  lastReason: string;
  lastRequestId: string;
  tokenPresent: boolean;
}

const maxSubjectsCounted = 16;
const everySource = '*';

/**
 * Aggregates authentication failures per (action, claimed tenant, source address, minute), so
 * that nobody without a valid token can grow a tenant's audit log, or the platform security log,
 * faster than a fixed number of rows per minute. The first failure of a window is written at once
 * (a tenant's admins see the knock as it happens); the others are counted here and written as one
 * summary when the window has ended. Many addresses naming one tenant fold into that tenant's
 * `source: '*'` window past `maxSourcesPerTenant`; many tenants (forged tokens can name any id)
 * fold into a tenant-less `source: '*'` window past `maxWindows`. Memory is bounded the same way:
 * at most `maxWindows` (plus the folded ones) per period, and periods are dropped once summarised.
 * Pure bookkeeping, no I/O, clock injectable: the audit writes are auth-failure-log.ts's job.
 */
export class AuthFailureWindows {
  private readonly windows = new Map<string, OpenWindow>();
  /** Per period: windows opened, and distinct sources per (action, tenant). */
  private readonly periods = new Map<number, { windows: number; sourcesPerTenant: Map<string, number> }>();
  private readonly windowMs: number;
  private readonly maxSourcesPerTenant: number;
  private readonly maxWindows: number;
  private readonly now: () => number;

  constructor(options: AuthFailureWindowsOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxSourcesPerTenant = options.maxSourcesPerTenant ?? 20;
    this.maxWindows = options.maxWindows ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  add(failure: AuthFailure): WindowAssignment {
    const startMs = Math.floor(this.now() / this.windowMs) * this.windowMs;
    const period = this.periodOf(startMs);
    let claimedTenant = failure.claimedTenant;
    let source = clientAddressKey(failure.sourceIp);
    let window = this.windows.get(windowKey(startMs, failure.action, claimedTenant, source));
    if (!window) {
      const tenantKey = `${failure.action}|${claimedTenant ?? ''}`;
      if ((period.sourcesPerTenant.get(tenantKey) ?? 0) >= this.maxSourcesPerTenant) source = everySource;
      window = this.windows.get(windowKey(startMs, failure.action, claimedTenant, source));
      if (!window && period.windows >= this.maxWindows) {
        claimedTenant = null;
        source = everySource;
        window = this.windows.get(windowKey(startMs, failure.action, claimedTenant, source));
      }
      if (!window) {
        window = { action: failure.action, claimedTenant, source, startMs, total: 0, subjects: new Set(), lastReason: '', lastRequestId: '', tokenPresent: false };
        this.windows.set(windowKey(startMs, failure.action, claimedTenant, source), window);
        period.windows += 1;
        if (source !== everySource) period.sourcesPerTenant.set(tenantKey, (period.sourcesPerTenant.get(tenantKey) ?? 0) + 1);
      }
    }
    window.total += 1;
    if (window.subjects.size < maxSubjectsCounted) window.subjects.add(failure.subject);
    window.lastReason = failure.reason;
    window.lastRequestId = failure.requestId;
    window.tokenPresent ||= failure.tokenPresent;
    return { recordNow: window.total === 1, claimedTenant: window.claimedTenant, source: window.source };
  }

  /** Takes the summaries of the windows that have ended; they (and their bookkeeping) are forgotten. */
  takeEnded(): AuthFailureSummary[] {
    const currentStartMs = Math.floor(this.now() / this.windowMs) * this.windowMs;
    return this.take((startMs) => startMs < currentStartMs);
  }

  /** Takes every window's summary, ended or not (shutdown, tests). */
  takeAll(): AuthFailureSummary[] {
    return this.take(() => true);
  }

  /** Windows currently open (tests, metrics). */
  get openWindows(): number {
    return this.windows.size;
  }

  private take(ended: (startMs: number) => boolean): AuthFailureSummary[] {
    const summaries: AuthFailureSummary[] = [];
    for (const [key, window] of this.windows) {
      if (!ended(window.startMs)) continue;
      this.windows.delete(key);
      if (window.total > 1) summaries.push(this.summaryOf(window));
    }
    for (const startMs of this.periods.keys()) if (ended(startMs)) this.periods.delete(startMs);
    return summaries;
  }

  private summaryOf(window: OpenWindow): AuthFailureSummary {
    const [onlySubject] = window.subjects;
    return {
      action: window.action,
      claimedTenant: window.claimedTenant,
      source: window.source,
      windowStartMs: window.startMs,
      windowMs: this.windowMs,
      count: window.total - 1,
      subject: window.subjects.size === 1 && onlySubject !== undefined ? onlySubject : everySource,
      subjects: window.subjects.size,
      lastReason: window.lastReason,
      lastRequestId: window.lastRequestId,
      tokenPresent: window.tokenPresent,
    };
  }

  private periodOf(startMs: number) {
    let period = this.periods.get(startMs);
    if (!period) {
      period = { windows: 0, sourcesPerTenant: new Map() };
      this.periods.set(startMs, period);
    }
    return period;
  }
}

function windowKey(startMs: number, action: string, tenant: string | null, source: string): string {
  return `${startMs}|${action}|${tenant ?? ''}|${source}`;
}

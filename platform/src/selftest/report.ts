/** The self-test's result: one entry per check, rendered as a table or as JSON. */

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable, dotted: `isolation.query.dataset(id)`, `auth.forged-token`, `tls.certificate`, … */
  name: string;
  status: CheckStatus;
  detail: string;
  /** When the check finished, in ms since the run started. */
  atMs: number;
}

export interface SelftestReport {
  url: string;
  startedAt: string;
  finishedAt: string;
  /** `pass` when no check failed (skipped checks do not fail a run). */
  status: 'pass' | 'fail';
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

/** Collects checks as they finish, so a run cut short by an error still reports what it saw. */
export class CheckLog {
  readonly checks: CheckResult[] = [];

  private readonly started = Date.now();

  add(name: string, status: CheckStatus, detail: string): CheckResult {
    const check = { name, status, detail, atMs: Date.now() - this.started };
    this.checks.push(check);
    return check;
  }

  pass(name: string, detail: string): void {
    this.add(name, 'pass', detail);
  }

  fail(name: string, detail: string): void {
    this.add(name, 'fail', detail);
  }

  skip(name: string, detail: string): void {
    this.add(name, 'skip', detail);
  }

  /** `pass` when `ok`, else `fail`, with the same detail. */
  expect(name: string, ok: boolean, detail: string): boolean {
    this.add(name, ok ? 'pass' : 'fail', detail);
    return ok;
  }

  report(url: string, startedAt: Date): SelftestReport {
    const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, skip: 0 };
    for (const check of this.checks) counts[check.status]++;
    return { url, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), status: counts.fail > 0 ? 'fail' : 'pass', counts, checks: this.checks };
  }
}

/** A plain-text table (status, name, detail), widest name first column, failures marked. */
export function renderTable(report: SelftestReport): string {
  const width = Math.min(60, Math.max(5, ...report.checks.map((check) => check.name.length)));
  const lines = [`Tessera self-test of ${report.url}`, `${'STATUS'.padEnd(6)}  ${'CHECK'.padEnd(width)}  DETAIL`];
  for (const check of report.checks) {
    lines.push(`${check.status.toUpperCase().padEnd(6)}  ${check.name.padEnd(width)}  ${check.detail.replace(/\s*\n\s*/g, ' ')}`);
  }
  lines.push(`${report.status.toUpperCase()}: ${report.counts.pass} passed, ${report.counts.fail} failed, ${report.counts.skip} skipped`);
  return `${lines.join('\n')}\n`;
}

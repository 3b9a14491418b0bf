/**
 * Many tenants on one bench stack: provisioning them one at a time (timed), one viewer token per
 * tenant, and a datasets page for many of them (so every per-tenant cache and pool is populated
 * as in a busy deployment). Shared by bench:tenants and the idle profile.
 */
import { loadavg } from 'node:os';
import type { TestStack, TestTenant } from '@tessera/testing';
import { datasetsQuery, fmt, percentile } from './support';

/** High enough that the rate limit never answers instead of the service being measured. */
export const benchTenantLimits = { costPerMinute: 10_000_000, costBurst: 10_000_000, maxConcurrentOperations: 1_000 };

export const loadAverage = () => loadavg().map((n) => n.toFixed(2)).join(' ');

/** Provisions tenants one at a time and remembers how long each took. */
export class Provisioning {
  readonly tenants: TestTenant[] = [];
  readonly durationsMs: number[] = [];

  constructor(private readonly stack: TestStack) {}

  async upTo(count: number): Promise<void> {
    const progressEvery = Math.max(10, Math.ceil(count / 20));
    const started = performance.now();
    const from = this.tenants.length;
    while (this.tenants.length < count) {
      const t0 = performance.now();
      this.tenants.push(await this.stack.createTenant({ limits: benchTenantLimits }));
      this.durationsMs.push(performance.now() - t0);
      const done = this.tenants.length;
      if (done - from > 0 && (done % progressEvery === 0 || done === count)) {
        const recent = Float64Array.from(this.durationsMs.slice(-progressEvery)).sort();
        console.log(
          `  ${String(done).padStart(5)}/${count} tenants, ${fmt((performance.now() - started) / 1000, 0)} s so far; ` +
            `last ${recent.length}: p50 ${fmt(percentile(recent, 50), 0)} ms per tenant; load average ${loadAverage()}`,
        );
      }
    }
  }

  describe(): string {
    const sorted = Float64Array.from(this.durationsMs).sort();
    return `${sorted.length} tenants provisioned, per tenant p50 ${fmt(percentile(sorted, 50), 0)} ms, p95 ${fmt(percentile(sorted, 95), 0)} ms, max ${fmt(sorted[sorted.length - 1] ?? NaN, 0)} ms`;
  }
}

/** One viewer token per tenant, issued once (each is a client registration at the issuer). */
export class TokenBook {
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(private readonly stack: TestStack) {}

  viewer(tenantId: string): Promise<string> {
    let token = this.tokens.get(tenantId);
    if (!token) {
      token = this.stack.issueToken({ tenant: tenantId, roles: ['viewer'], tokenTtlSeconds: 3600 });
      this.tokens.set(tenantId, token);
    }
    return token;
  }
}

/** A datasets page for each of `tenants` through the gateway at `graphqlUrl`, a few at a time: fills every per-tenant cache and pool. */
export async function spreadTraffic(graphqlUrl: string, tokens: TokenBook, tenants: readonly TestTenant[]): Promise<void> {
  const queue = [...tenants];
  const worker = async () => {
    for (let tenant = queue.shift(); tenant; tenant = queue.shift()) {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${await tokens.viewer(tenant.id)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: datasetsQuery }),
      });
      const answer = (await response.json()) as { errors?: unknown[] };
      if (response.status !== 200 || answer.errors) throw new Error(`datasets page of tenant ${tenant.id}: HTTP ${response.status} ${JSON.stringify(answer.errors)}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

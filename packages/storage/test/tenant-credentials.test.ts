import type { AssumeRoleRequest, TemporaryCredentials } from '../src/sts-client';
import { StsTenantCredentials } from '../src/tenant-credentials';

function harness(durationSeconds = 900, storeClockAheadMs = 0) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const calls: AssumeRoleRequest[] = [];
  let serial = 0;
  const assume = async (request: AssumeRoleRequest): Promise<TemporaryCredentials> => {
    calls.push(request);
    serial += 1;
    return { accessKey: `AK${serial}`, secretKey: 's', sessionToken: 't', expiresAt: new Date(now + storeClockAheadMs + request.durationSeconds * 1000) };
  };
  const source = new StsTenantCredentials({
    stsEndpoint: 'http://store',
    region: 'us-east-1',
    baseCredentials: { accessKey: 'base', secretKey: 'secret' },
    roleArn: 'arn:aws:iam::1:role/tenant',
    durationSeconds,
    refreshMarginSeconds: 60,
    bucketName: (tenantId) => `tessera-${tenantId}`,
    assume,
    now: () => now,
  });
  return { source, calls, advance: (ms: number) => (now += ms) };
}

describe('StsTenantCredentials', () => {
  it('asks for a session naming only the tenant bucket, with the configured role and duration', async () => {
    const { source, calls } = harness();
    await source.credentialsFor('acme');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ roleArn: 'arn:aws:iam::1:role/tenant', roleSessionName: 'tessera-acme', durationSeconds: 900 });
    expect(calls[0]!.policy).toContain('arn:aws:s3:::tessera-acme/*');
    expect(calls[0]!.policy).not.toContain('tessera-*');
  });

  it('caches per tenant until shortly before expiry, then renews', async () => {
    const { source, calls, advance } = harness();
    const first = await source.credentialsFor('acme');
    advance(800_000);
    expect(await source.credentialsFor('acme')).toBe(first);
    expect(calls).toHaveLength(1);
    advance(41_000); // 841 s: inside the 60 s margin before the 900 s expiry
    const renewed = await source.credentialsFor('acme');
    expect(renewed.accessKey).not.toBe(first.accessKey);
    expect(calls).toHaveLength(2);
  });

  it('never hands one tenant another tenant’s session', async () => {
    const { source } = harness();
    const [a, b] = await Promise.all([source.credentialsFor('acme'), source.credentialsFor('globex')]);
    expect(a.accessKey).not.toBe(b.accessKey);
    expect((await source.credentialsFor('acme')).accessKey).toBe(a.accessKey);
  });

  it('shares one AssumeRole call between concurrent callers, and retries after a failure', async () => {
    const { source, calls } = harness();
    const results = await Promise.all([source.credentialsFor('acme'), source.credentialsFor('acme'), source.credentialsFor('acme')]);
    expect(new Set(results.map((r) => r.accessKey)).size).toBe(1);
    expect(calls).toHaveLength(1);

    let fail = true;
    const flaky = new StsTenantCredentials({
      stsEndpoint: 'http://store', region: 'us-east-1', baseCredentials: { accessKey: 'a', secretKey: 'b' }, durationSeconds: 900, bucketName: (t) => `tessera-${t}`,
      assume: async () => {
        if (fail) throw new Error('store down');
        return { accessKey: 'ok', secretKey: 's', sessionToken: 't', expiresAt: new Date(Date.now() + 900_000) };
      },
    });
    await expect(flaky.credentialsFor('acme')).rejects.toThrow('store down');
    fail = false;
    expect((await flaky.credentialsFor('acme')).accessKey).toBe('ok');
  });

  it('trusts the earlier of the store’s expiry and its own clock', async () => {
    // A store whose clock runs 10 minutes ahead reports a later expiry; we still renew on our own time.
    const { source, calls, advance } = harness(900, 600_000);
    await source.credentialsFor('acme');
    advance(845_000);
    await source.credentialsFor('acme');
    expect(calls).toHaveLength(2);
  });

  it('refuses lifetimes outside 15 minutes to 1 hour', () => {
    expect(() => harness(600)).toThrow(RangeError);
    expect(() => harness(7200)).toThrow(RangeError);
  });
});

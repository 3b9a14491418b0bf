import { alertingVariables, toAlertingConfig } from '../src/domain/alerting-config';
import { createWebhookAddressPolicy, embeddedIpv4, ipLiteralOf, parseCidrRange } from '../src/domain/webhook-address-policy';

describe('webhook address policy (pure)', () => {
  const policy = createWebhookAddressPolicy();

  it('refuses loopback, private, link-local, metadata and other non-public IPv4 ranges, edges included', () => {
    const refused = [
      '0.0.0.0', '0.255.255.255',
      '10.0.0.0', '10.1.2.3', '10.255.255.255',
      '100.64.0.0', '100.100.100.200', '100.127.255.255',
      '127.0.0.1', '127.255.255.254',
      '169.254.0.1', '169.254.169.254', '169.254.255.255',
      '172.16.0.0', '172.31.255.255',
      '192.0.0.0', '192.0.0.192', '192.0.0.255',
      '192.168.0.1', '192.168.255.255',
      '198.18.0.0', '198.19.255.255',
      '224.0.0.1', '239.255.255.250',
      '240.0.0.1', '255.255.255.255',
    ];
    expect(refused.filter((address) => policy.allowsAddress(address))).toEqual([]);
  });

  it('allows public IPv4 addresses, including the neighbours of every refused range', () => {
    const allowed = ['1.1.1.1', '8.8.8.8', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.0.1.0', '192.167.255.255', '192.169.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255'];
    expect(allowed.filter((address) => !policy.allowsAddress(address))).toEqual([]);
  });

  it('refuses IPv6 loopback, unspecified, unique-local, link-local, site-local and multicast', () => {
    const refused = ['::', '::1', '0:0:0:0:0:0:0:1', 'fc00::1', 'fd00:ec2::254', 'fdff:ffff::1', 'fe80::1', 'febf:ffff::1', 'fec0::1', 'ff02::1', 'ff05::1:3', 'fe80::1%eth0', '64:ff9b:1::a'];
    expect(refused.filter((address) => policy.allowsAddress(address))).toEqual([]);
  });

  it('judges IPv6 forms that wrap an IPv4 address by the IPv4 address', () => {
    const refused = [
      '::ffff:127.0.0.1', '::ffff:7f00:1', '::FFFF:10.0.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', // IPv4-mapped
      '::127.0.0.1', '::a00:1', // IPv4-compatible (deprecated; ::/96 is refused whole)
      '::ffff:0:127.0.0.1', // IPv4-translated
      '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b::10.0.0.1', // NAT64
      '2002:7f00:1::1', '2002:a9fe:a9fe::', '2002:c0a8:101::1', // 6to4
    ];
    expect(refused.filter((address) => policy.allowsAddress(address))).toEqual([]);
    const allowed = ['::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2001:4860:4860::8888', '2606:4700:4700::1111'];
    expect(allowed.filter((address) => !policy.allowsAddress(address))).toEqual([]);
  });

  it('refuses anything that is not an IP address', () => {
    for (const value of ['', 'localhost', 'example.com', '1.2.3', '256.0.0.1', '::g', '[::1]']) expect(policy.allowsAddress(value)).toBe(false);
  });

  it('refuses metadata host names and the private-use .internal domain by name, in any case and with a trailing dot', () => {
    for (const name of ['metadata.google.internal', 'METADATA.Google.Internal.', 'metadata', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal', 'db.corp.internal']) {
      expect(policy.refusesHostname(name)).toBe(true);
    }
    // These are judged by what they resolve to, not by name.
    for (const name of ['hooks.example.com', 'internal.example.com', 'metadata.example.com', 'localhost']) expect(policy.refusesHostname(name)).toBe(false);
  });

  it("lets the operator's ranges through, and only those", () => {
    const allowing = createWebhookAddressPolicy(['127.0.0.1/32', '10.20.0.0/16', 'fd00:1::/64', '192.168.7.7']);
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.20.0.1', '10.20.255.255', '64:ff9b::10.20.3.4', 'fd00:1::5', '192.168.7.7']) expect(allowing.allowsAddress(address)).toBe(true);
    for (const address of ['127.0.0.2', '::1', '10.21.0.1', '10.19.255.255', 'fd00:2::1', '192.168.7.8', '169.254.169.254']) expect(allowing.allowsAddress(address)).toBe(false);
    expect(allowing.allowsAddress('8.8.8.8')).toBe(true);
    expect(() => createWebhookAddressPolicy(['not-a-range'])).toThrow(/not a CIDR range/);
  });

  it('parses CIDR ranges and IP literals', () => {
    expect(parseCidrRange('10.20.0.0/16')).toEqual({ address: '10.20.0.0', prefix: 16, family: 'ipv4' });
    expect(parseCidrRange(' fd00:1::/64 ')).toEqual({ address: 'fd00:1::', prefix: 64, family: 'ipv6' });
    expect(parseCidrRange('127.0.0.1')).toEqual({ address: '127.0.0.1', prefix: 32, family: 'ipv4' });
    expect(parseCidrRange('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/', '10.0.0.0/8/9', 'example.com/8', '10.0.0/8', '/8']) expect(parseCidrRange(bad)).toBeUndefined();
    expect(ipLiteralOf('[::1]')).toBe('::1');
    expect(ipLiteralOf('127.0.0.1')).toBe('127.0.0.1');
    expect(ipLiteralOf('example.com')).toBeUndefined();
    expect(embeddedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIpv4('64:ff9b::a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIpv4('2002:c0a8:101::')).toBe('192.168.1.1');
    expect(embeddedIpv4('2001:db8::1')).toBeUndefined();
    expect(embeddedIpv4('127.0.0.1')).toBeUndefined();
  });

  it('reads WEBHOOK_ALLOWED_PRIVATE_RANGES once, naming bad entries', () => {
    expect(toAlertingConfig(alertingVariables.parse({})).webhookAllowedPrivateRanges).toEqual([]);
    expect(toAlertingConfig(alertingVariables.parse({ WEBHOOK_ALLOWED_PRIVATE_RANGES: '10.20.0.0/16, fd00:1::/64,127.0.0.1' })).webhookAllowedPrivateRanges).toEqual(['10.20.0.0/16', 'fd00:1::/64', '127.0.0.1']);
    const result = alertingVariables.safeParse({ WEBHOOK_ALLOWED_PRIVATE_RANGES: '10.0.0.0/8,intranet,10.0.0.0/40' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/not ranges: intranet, 10\.0\.0\.0\/40/);
  });
});

import { parseTrustedProxies, TrustedProxies } from '../src/pipeline/trusted-proxies';

describe('trusted proxies: whose X-Forwarded-For names the client', () => {
  it('by default only a proxy on this machine may name the client', () => {
    const loopback = new TrustedProxies(['loopback']);
    expect(loopback.clientOf('127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
    expect(loopback.clientOf('::1', '203.0.113.7')).toBe('203.0.113.7');
    expect(loopback.clientOf('::ffff:127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
    // A direct client claims whatever it likes: not believed.
    expect(loopback.clientOf('198.51.100.20', '203.0.113.7')).toBe('198.51.100.20');
    // An ingress pod is not on this machine: by default its clients are all the pod.
    expect(loopback.clientOf('10.42.0.15', '203.0.113.7')).toBe('10.42.0.15');
    expect(loopback.clientOf('127.0.0.1', undefined)).toBe('127.0.0.1');
  });

  it("'private' believes the cluster's pod network, read from the right: a client cannot name itself by prepending", () => {
    const cluster = new TrustedProxies(['loopback', 'private']);
    expect(cluster.clientOf('10.42.0.15', '203.0.113.7')).toBe('203.0.113.7');
    expect(cluster.clientOf('172.20.3.4', '203.0.113.7')).toBe('203.0.113.7');
    expect(cluster.clientOf('192.168.1.9', '203.0.113.7')).toBe('203.0.113.7');
    expect(cluster.clientOf('100.64.0.3', '203.0.113.7')).toBe('203.0.113.7');
    expect(cluster.clientOf('fd00::5', '2001:db8::9')).toBe('2001:db8::9');
    // The client sent "X-Forwarded-For: 1.1.1.1"; the ingress appended the address it saw.
    expect(cluster.clientOf('10.42.0.15', '1.1.1.1, 203.0.113.7')).toBe('203.0.113.7');
    expect(cluster.clientOf('10.42.0.15', ['1.1.1.1', '203.0.113.7'])).toBe('203.0.113.7');
    // Two proxies in a row (both trusted): the first untrusted address from the right is the client.
    expect(cluster.clientOf('10.42.0.15', '203.0.113.7, 10.1.1.1')).toBe('203.0.113.7');
    // A client inside a private range behind the proxy: the chain ends at the leftmost entry.
    expect(cluster.clientOf('10.42.0.15', '10.9.9.9')).toBe('10.9.9.9');
    expect(cluster.clientOf('172.32.0.1', '203.0.113.7')).toBe('172.32.0.1');
  });

  it('takes addresses and address/prefix entries, and refuses anything else at start', () => {
    const listed = new TrustedProxies(parseTrustedProxies(' 198.51.100.0/24 , 2001:db8:1::/48,192.0.2.10 '));
    expect(listed.trusts('198.51.100.200')).toBe(true);
    expect(listed.trusts('198.51.101.1')).toBe(false);
    expect(listed.trusts('2001:db8:1:ffff::1')).toBe(true);
    expect(listed.trusts('2001:db8:2::1')).toBe(false);
    expect(listed.trusts('192.0.2.10')).toBe(true);
    expect(listed.trusts('192.0.2.11')).toBe(false);
    expect(listed.trusts('127.0.0.1')).toBe(false);
    expect(listed.trusts('not an address')).toBe(false);
    expect(parseTrustedProxies('')).toEqual([]);
    for (const bad of ['everyone', '10.0.0.0/33', '10.0.0.0/8/1', '2001:db8::/129', '10.0.0/8', '10.0.0.0/-1', 'localhost']) {
      expect(() => parseTrustedProxies(bad)).toThrow(/is not|prefix/);
    }
  });
});

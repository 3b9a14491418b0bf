import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateThumbprint, createInternalContextSigner, internalContextHeader, type Principal } from '@tessera/auth';
import { ensureLocalPki, type LocalPki } from '@tessera/local-infra';
import { subgraphModule, subgraphTls, withAbsentPorts } from '@tessera/platform';
import { startSubgraph, type RunningSubgraph } from '@tessera/service-kit';
import { errorCodes, expectNoErrors, postToSubgraph, requestSubgraph, startTestStack, type ClientCertificate, type TestStack, type TestTenant } from '@tessera/testing';
import { claimsOf, createDatasetMutation, expectRefused } from './support';
import WebSocket from 'ws';
import { CollectedSubscription, connectSubscriptions, type TestSubscriptionClient } from './subscriptions-support';

jest.setTimeout(60_000);

/** Short-lived contexts in this file, so the expiry case waits seconds, not half a minute. */
const lifetimeSeconds = 2;
/** The lifetime, the verifier's clock tolerance (1 s) and a margin. */
const pastExpiryMs = (lifetimeSeconds + 1) * 1000 + 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The internal context is a credential for one hop: minted by the gateway for one subgraph, for
 * one use, for at most 30 s, on the mutual-TLS connection of the gateway's client certificate.
 * Contexts are captured as the gateway really sends them (read off the subgraph's server), then
 * replayed; each refusal has a control beside it showing the same request passes without the one
 * thing the check is about.
 */
describe('the internal context is bound to its hop', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let admin: string;
  let gatewayCertificate: ClientCertificate;
  const captured: Array<{ subgraph: string; token: string }> = [];
  const sockets: TestSubscriptionClient[] = [];

  const graphqlOf = (name: 'datasets' | 'models' | 'jobs') => `${stack.platform.subgraphs[name].url}/graphql`;
  const datasetsQuery = '{ datasets { edges { node { name } } } }';
  /** Straight to a subgraph as `client` (default: the gateway's certificate; 'none': no certificate), with `token` as the context. */
  const direct = (name: 'datasets' | 'models', token: string | undefined, client: ClientCertificate | 'none' = gatewayCertificate, query = datasetsQuery) =>
    postToSubgraph(graphqlOf(name), { subgraph: name, ca: stack.pki.ca, client: client === 'none' ? undefined : client, headers: token ? { [internalContextHeader]: token } : {} }, query);

  /** Runs `query` through the gateway and returns the contexts it sent to `subgraph` for it. */
  const captureFrom = async (subgraph: 'datasets', query = datasetsQuery) => {
    captured.length = 0;
    expectNoErrors(await stack.query(admin, query));
    const tokens = captured.filter((c) => c.subgraph === subgraph).map((c) => c.token);
    expect(tokens.length).toBeGreaterThan(0);
    return tokens;
  };

  /** A context signed with the real gateway key for `audience`, as the gateway would: the controls. */
  let freshContext: (audience: string) => Promise<string>;

  beforeAll(async () => {
    stack = await startTestStack({ internalContextLifetimeSeconds: lifetimeSeconds });
    acme = await stack.createTenant();
    admin = await acme.token('admin');
    expectNoErrors(await stack.query(admin, createDatasetMutation, { input: { name: 'hop-bound' } }));
    gatewayCertificate = stack.pki.identity('gateway');
    // A test hook only: every request the subgraphs receive, read as it arrives (after TLS).
    for (const subgraph of Object.values(stack.platform.subgraphs)) {
      subgraph.server.on('request', (req: { headers: Record<string, string | string[] | undefined> }) => {
        const token = req.headers[internalContextHeader];
        if (typeof token === 'string') captured.push({ subgraph: subgraph.name, token });
      });
    }
    const principal: Principal = { kind: 'user', subject: 'hop-test', tenantId: acme.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const sign = await createInternalContextSigner(stack.config.internalContextKeys.privateJwk, { clientCertificate: gatewayCertificate!.cert, lifetimeSeconds });
    freshContext = (audience) => sign(principal, audience);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await stack?.stop();
  });

  it('what the gateway sends: audience = the target subgraph, a unique jti, at most 30 s, bound to the gateway certificate (cnf x5t#S256)', async () => {
    const [token] = await captureFrom('datasets');
    const claims = claimsOf(token!);
    expect(claims.aud).toBe('datasets');
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(lifetimeSeconds);
    expect(claims['cnf']).toEqual({ 'x5t#S256': certificateThumbprint(gatewayCertificate!.cert) });
    const [second] = await captureFrom('datasets');
    expect(claimsOf(second!).jti).not.toBe(claims.jti);
  });

  it('(a) replayed against another subgraph → UNAUTHENTICATED (control: a context minted for that subgraph passes)', async () => {
    const [token] = await captureFrom('datasets');
    expectRefused(await direct('models', token, gatewayCertificate, '{ models { edges { node { id } } } }'), 401, 'UNAUTHENTICATED');
    const control = await direct('models', await freshContext('models'), gatewayCertificate, '{ models { edges { node { id } } } }');
    expect(errorCodes(control)).toEqual([]);
  });

  it('(b) replayed against the same subgraph after its request completed → UNAUTHENTICATED; any context passes once only', async () => {
    const [token] = await captureFrom('datasets');
    expectRefused(await direct('datasets', token), 401, 'UNAUTHENTICATED');

    const once = await freshContext('datasets');
    expect(errorCodes(await direct('datasets', once))).toEqual([]);
    expectRefused(await direct('datasets', once), 401, 'UNAUTHENTICATED');
  });

  describe('(c) after expiry', () => {
    // A second replica of the datasets subgraph: it never saw the captured ids, so only the expiry can refuse them there.
    let replica: RunningSubgraph;
    beforeAll(async () => {
      replica = await startSubgraph(subgraphModule('datasets').build(stack.platform.runtimes.datasets, { regions: stack.config.regions, ports: withAbsentPorts({}) }), stack.platform.runtimes.datasets, 0, undefined, subgraphTls(stack.config.tls, 'datasets'));
    });
    afterAll(() => replica?.close());

    const onReplica = (token: string) =>
      postToSubgraph(`${replica.url}/graphql`, { subgraph: 'datasets', ca: stack.pki.ca, client: gatewayCertificate, headers: { [internalContextHeader]: token } }, datasetsQuery);

    it('→ UNAUTHENTICATED (control: before expiry, another replica accepts a copy — only over the gateway\'s own certificate, see (d))', async () => {
      const [early, late] = [await captureFrom('datasets'), await captureFrom('datasets')];
      // And an unused one, to be presented expired on the subgraph it was minted for: minted now,
      // it expires in the same wait as the captured one (no use of it before then).
      const unused = await freshContext('datasets');
      expect(errorCodes(await onReplica(early[0]!))).toEqual([]);
      await sleep(pastExpiryMs);
      expectRefused(await onReplica(late[0]!), 401, 'UNAUTHENTICATED');
      expectRefused(await direct('datasets', unused), 401, 'UNAUTHENTICATED');
    });
  });

  describe('(d) from a connection without the gateway\'s client certificate', () => {
    let foreign: LocalPki;
    let foreignDirectory: string;
    beforeAll(() => {
      // A complete second CA, made by the same script: its "gateway" certificate is a stranger's.
      foreignDirectory = mkdtempSync(join(tmpdir(), 'tessera-foreign-pki-'));
      execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'local-pki.sh'), foreignDirectory]);
      foreign = ensureLocalPki(foreignDirectory);
    });
    afterAll(() => rmSync(foreignDirectory, { recursive: true, force: true }));

    it('no client certificate → refused in the TLS handshake', async () => {
      const [token] = await captureFrom('datasets');
      await expect(direct('datasets', token, 'none')).rejects.toThrow();
      // Control: the same request with the gateway's certificate reaches the application (which refuses the used context).
      expectRefused(await direct('datasets', token), 401, 'UNAUTHENTICATED');
    });

    it('a "gateway" certificate of another CA → refused in the TLS handshake', async () => {
      const [token] = await captureFrom('datasets');
      await expect(direct('datasets', token, foreign.identity('gateway'))).rejects.toThrow();
    });

    it('a certificate of the right CA for an identity the subgraph does not answer (audit, which calls no port of datasets) → connection refused', async () => {
      await expect(direct('datasets', await freshContext('datasets'), stack.pki.identity('audit'))).rejects.toThrow();
    });

    it('a port caller\'s certificate (workers, allowed on the listener for the ports) → UNAUTHENTICATED on GraphQL: the context is bound to the gateway certificate', async () => {
      const unused = await freshContext('datasets');
      expectRefused(await direct('datasets', unused, stack.pki.identity('workers')), 401, 'UNAUTHENTICATED');
      // Control: the refusal did not spend it; over the gateway's certificate it passes.
      expect(errorCodes(await direct('datasets', unused))).toEqual([]);
    });

    it('an allowed identity other than the gateway (the subgraph\'s own, for its healthcheck) → UNAUTHENTICATED: the context is bound to the gateway certificate', async () => {
      const [token] = await captureFrom('datasets');
      const own = stack.pki.identity('datasets');
      expectRefused(await direct('datasets', token, own), 401, 'UNAUTHENTICATED');
      // Control: an unused context, refused on the wrong certificate, still passes on the gateway's (the refusal did not spend it).
      const unused = await freshContext('datasets');
      expectRefused(await direct('datasets', unused, own), 401, 'UNAUTHENTICATED');
      expect(errorCodes(await direct('datasets', unused))).toEqual([]);
      // Its health routes answer it (that is what it is allowed for).
      const health = await requestSubgraph(`${stack.platform.subgraphs.datasets.url}/_health`, { subgraph: 'datasets', ca: stack.pki.ca, client: own, method: 'GET' });
      expect(health.status).toBe(200);
    });
  });

  it('plain HTTP to a subgraph → refused (no answer at all)', async () => {
    const plain = graphqlOf('datasets').replace(/^https:/, 'http:');
    await expect(fetch(plain, { method: 'POST', headers: { 'content-type': 'application/json', [internalContextHeader]: await freshContext('datasets') }, body: JSON.stringify({ query: datasetsQuery }) })).rejects.toThrow();
  });

  describe('subscriptions: the context in connection_init gets the same checks on the mutual-TLS WebSocket', () => {
    const jobs = () => graphqlOf('jobs');
    const connectAs = (client: ClientCertificate, token: string) => {
      const socket = connectSubscriptions(jobs(), { [internalContextHeader]: token }, undefined, { ca: stack.pki.ca, ...client, servername: 'jobs' } as Parameters<typeof connectSubscriptions>[3]);
      sockets.push(socket);
      return socket;
    };
    const outcome = (socket: TestSubscriptionClient) => Promise.race([socket.connected.then(() => 'acknowledged' as const), socket.closed.then((info) => info.code)]);

    it('the connection_init context the gateway really sent to jobs, replayed: on jobs → 4401, on audit → 4401', async () => {
      // The gateway's upstream client runs in this process: read its connection_init off `ws`.
      const sent: string[] = [];
      const originalSend = WebSocket.prototype.send;
      const spy = jest.spyOn(WebSocket.prototype, 'send').mockImplementation(function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
        const message = typeof args[0] === 'string' ? args[0] : '';
        if (message.includes('"connection_init"') && message.includes(internalContextHeader)) sent.push(message);
        return (originalSend as (...a: unknown[]) => void).apply(this, args);
      });
      const client = connectSubscriptions(stack.graphqlUrl, { authorization: `Bearer ${await acme.token('viewer')}` });
      sockets.push(client);
      const stream = new CollectedSubscription(client.client, { query: 'subscription { jobEvents { jobId } }' });
      for (let i = 0; i < 100 && sent.length === 0; i++) await sleep(50);
      spy.mockRestore();
      stream.stop();
      const payload = (JSON.parse(sent[0]!) as { payload: Record<string, string> }).payload;
      const token = payload[internalContextHeader]!;
      expect(claimsOf(token).aud).toBe('jobs');
      expect(await outcome(connectAs(gatewayCertificate, token))).toBe(4401);
      const toAudit = connectSubscriptions(`${stack.platform.subgraphs.audit.url}/graphql`, { [internalContextHeader]: token }, undefined, { ca: stack.pki.ca, ...gatewayCertificate, servername: 'audit' } as Parameters<typeof connectSubscriptions>[3]);
      sockets.push(toAudit);
      expect(await outcome(toAudit)).toBe(4401);
    });

    it('a context for jobs is accepted once; the same again → 4401', async () => {
      const token = await freshContext('jobs');
      expect(await outcome(connectAs(gatewayCertificate, token))).toBe('acknowledged');
      expect(await outcome(connectAs(gatewayCertificate, token))).toBe(4401);
    });

    it('a context minted for another subgraph → 4401', async () => {
      expect(await outcome(connectAs(gatewayCertificate, await freshContext('datasets')))).toBe(4401);
    });

    it('on a socket of another allowed certificate (jobs\' own) → 4401', async () => {
      expect(await outcome(connectAs(stack.pki.identity('jobs'), await freshContext('jobs')))).toBe(4401);
    });

    it('without a client certificate → no socket at all', async () => {
      const socket = connectAs(undefined, await freshContext('jobs'));
      const code = await socket.closed.then((info) => info.code);
      expect(code).not.toBe(4401); // never reached the application: the TLS handshake failed (1006)
      expect(code).toBe(1006);
    });

    it('expired → 4401', async () => {
      const token = await freshContext('jobs');
      await sleep(pastExpiryMs);
      expect(await outcome(connectAs(gatewayCertificate, token))).toBe(4401);
    });
  });
});

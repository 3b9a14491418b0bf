import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { eventually, newDataset, startWebhookReceiver } from './audit-events-helpers';

const setWebhook = `mutation($url: String!) { setAlertWebhook(url: $url) { url secret createdAt } }`;

interface DeliveryNode {
  id: string;
  status: string;
  attempts: number;
  lastOutcome: string | null;
  lastStatus: number | null;
  lastError: string | null;
}

/**
 * The platform as deployed by default, with no operator allow-list: an alert webhook can reach
 * neither loopback nor the private network nor a metadata endpoint, whether its URL says so when
 * it is saved or only when it is used.
 */
describe('alert webhooks cannot be used to reach internal addresses (default policy)', () => {
  let stack: TestStack;
  const receivers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    for (const receiver of receivers) await receiver.close();
    await stack?.stop();
  });

  async function localReceiver() {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    return receiver;
  }

  const deliveriesOf = async (admin: string): Promise<DeliveryNode[]> =>
    expectNoErrors(await stack.query<{ alerts: Array<{ deliveries: DeliveryNode[] }> }>(admin, '{ alerts { deliveries { id status attempts lastOutcome lastStatus lastError } } }')).alerts.flatMap(
      (alert) => alert.deliveries,
    );

  /** A viewer of `tenant` asks for another tenant's dataset: the tenant's CROSS_TENANT_ATTEMPT rule (threshold 1) fires an alert and a delivery. */
  async function fireAlert(tenant: TestTenant): Promise<void> {
    const owner = await stack.createTenant();
    const ownerDataset = await newDataset(stack, await owner.token('admin'), 'probed');
    expect(errorCodes(await stack.query(await tenant.token('viewer'), 'query($id: ID!) { dataset(id: $id) { id } }', { id: ownerDataset }))).toEqual(['NOT_FOUND']);
  }

  it('refuses to save a loopback, private, link-local or metadata URL: BAD_USER_INPUT on the url field', async () => {
    const receiver = await localReceiver();
    const tenant = await stack.createTenant();
    const admin = await tenant.token('admin');
    const urls = [
      receiver.url, // http://127.0.0.1:<port>/…
      `http://localhost:${receiver.port}/hooks`, // a name resolving to loopback
      `http://[::1]:${receiver.port}/hooks`,
      `http://[::ffff:127.0.0.1]:${receiver.port}/hooks`,
      `http://0x7f000001:${receiver.port}/hooks`,
      'http://10.1.2.3/hooks',
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'https://192.168.0.10/hooks',
    ];
    for (const url of urls) {
      const response = await stack.query(admin, setWebhook, { url });
      expect({ url, codes: errorCodes(response), field: response.errors?.[0]?.extensions?.['field'] }).toEqual({ url, codes: ['BAD_USER_INPUT'], field: 'url' });
      expect(response.errors?.[0]?.message).toMatch(/loopback, private, link-local or cloud-metadata/);
    }
    expect(expectNoErrors(await stack.query<{ alertWebhook: unknown }>(admin, '{ alertWebhook { url } }')).alertWebhook).toBeNull();
    expect(receiver.received).toEqual([]);
  });

  it('refuses at connection time a URL that leads to loopback only when used: nothing reaches it, the tenant sees REFUSED_ADDRESS', async () => {
    const receiver = await localReceiver();
    // By name (refused in the resolver hook of the connection) and as a literal (refused before connecting).
    for (const target of [`http://localhost:${receiver.port}/hooks`, receiver.url]) {
      const tenant = await stack.createTenant();
      const admin = await tenant.token('admin');
      // Saved while its name did not resolve (accepted: delivery resolves again), then pointed at
      // loopback behind the service's back, as a rebinding name or a row saved by an older version would be.
      expectNoErrors(await stack.query(admin, setWebhook, { url: 'https://hooks.tessera-test.invalid/alerts' }));
      await stack.adminQuery(`UPDATE \`${tenant.schema}\`.alert_webhooks SET url = ? WHERE id = 1`, [target]);
      await fireAlert(tenant);
      const delivery = await eventually(`an attempt at ${target}`, async () => (await deliveriesOf(admin)).find((d) => d.lastOutcome !== null));
      expect({ target, ...delivery }).toMatchObject({ target, status: 'PENDING', attempts: 1, lastOutcome: 'REFUSED_ADDRESS', lastStatus: null, lastError: expect.stringMatching(/^Not sent: /) });
    }
    expect(receiver.received).toEqual([]);
  });
});

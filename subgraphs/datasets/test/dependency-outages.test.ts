import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { newDataset, putBytes, reserveUpload, uploadVersion } from './dataset-flow';

/**
 * When a dependency is down, clients get SERVICE_UNAVAILABLE (retry later), not an
 * INTERNAL_SERVER_ERROR, nothing about the failure (host, port, driver message) leaks, nothing
 * is half-written, and the rest of the platform keeps answering. Real outages: a subgraph's HTTP
 * server is closed, then the S3 server (last: this stack has no object store afterwards).
 */
describe('dependency outages → SERVICE_UNAVAILABLE', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let scientist: string;
  let datasetId: string;
  let versionId: string;

  const previewQuery = `query($id: ID!) { dataset(id: $id) { versions { edges { node { id preview(limit: 3) { rows } } } } } }`;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
    scientist = await acme.token('data_scientist');
    datasetId = await newDataset(stack, scientist, 'outage');
    versionId = (await uploadVersion(stack, scientist, datasetId, Buffer.from('a,b\n1,2\n3,4\n'))).id;
  });
  afterAll(() => stack?.stop());

  const expectUnavailable = (response: Parameters<typeof errorCodes>[0]) => {
    expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
    const message = response.errors![0]!.message;
    expect(message).toBe('A service this request depends on is not reachable right now; retry later.');
    expect(JSON.stringify(response)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:\d{4,5}\b|stack/i);
  };

  it('a subgraph that is down: its fields are SERVICE_UNAVAILABLE, the other subgraphs keep answering', async () => {
    const viewer = await acme.token('viewer');
    expectNoErrors(await stack.query(viewer, '{ models(first: 1) { edges { node { id } } } }'));
    await stack.platform.subgraphs.models.close();

    expectUnavailable(await stack.query(viewer, '{ models(first: 1) { edges { node { id } } } }'));
    const datasets = expectNoErrors(await stack.query<{ datasets: { edges: Array<{ node: { id: string } }> } }>(viewer, '{ datasets(first: 5) { edges { node { id } } } }'));
    expect(datasets.datasets.edges.map((e) => e.node.id)).toEqual([datasetId]);
  });

  /** The tenant's dataset rows as they are (the object store cannot be listed while it is down). */
  const datasetRows = async () => {
    const rows = async (sql: string) => JSON.parse(JSON.stringify(await stack.platform.runtime.db.query(sql))) as unknown;
    return {
      datasets: await rows(`SELECT * FROM \`${acme.schema}\`.datasets ORDER BY id`),
      versions: await rows(`SELECT * FROM \`${acme.schema}\`.dataset_versions ORDER BY id`),
      uploads: await rows(`SELECT id, status FROM \`${acme.schema}\`.dataset_uploads ORDER BY id`),
    };
  };

  it('the object store down: reading content and uploading are SERVICE_UNAVAILABLE, and nothing changes', async () => {
    const upload = await reserveUpload(stack, scientist, datasetId, 8);
    const before = await datasetRows();
    await stack.s3.close();

    expectUnavailable(await stack.query(scientist, previewQuery, { id: datasetId }));

    const put = await putBytes(upload.uploadUrl, scientist, Buffer.from('a,b\n5,6\n'));
    expect({ status: put.status, codes: put.body.errors?.map((e) => e.extensions.code) }).toEqual({ status: 503, codes: ['SERVICE_UNAVAILABLE'] });

    // No version was added and the old one is intact; the reservation is as it was or marked FAILED, never completed.
    const after = await datasetRows();
    expect(after.datasets).toEqual(before.datasets);
    expect(after.versions).toEqual(before.versions);
    expect((after.versions as Array<{ id: string }>).map((v) => v.id)).toEqual([versionId]);
    expect((after.uploads as Array<{ id: string; status: string }>).find((u) => u.id === upload.id)?.status).toMatch(/^(PENDING|FAILED)$/);
  });
});

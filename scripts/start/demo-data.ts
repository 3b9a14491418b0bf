import { buildMlp } from '@tessera/onnx';
import type { RunningPlatform } from '@tessera/platform';
import type { ProvisionTenantInput } from '@tessera/tenancy';
import { foreignTenantReason, markDemoTenantOwned } from './demo-ownership';
import { demoTenants } from './demo-users';
import { graphql } from './graphql';

export const demoDatasetName = 'iris-sample';

/** 15 rows of Fisher's iris data (5 per species). */
const irisCsv = `sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
4.7,3.2,1.3,0.2,setosa
4.6,3.1,1.5,0.2,setosa
5.0,3.6,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.4,3.2,4.5,1.5,versicolor
6.9,3.1,4.9,1.5,versicolor
5.5,2.3,4.0,1.3,versicolor
6.5,2.8,4.6,1.5,versicolor
6.3,3.3,6.0,2.5,virginica
5.8,2.7,5.1,1.9,virginica
7.1,3.0,5.9,2.1,virginica
6.3,2.9,5.6,1.8,virginica
6.5,3.0,5.8,2.2,virginica
`;

export interface DemoTenantResult {
  id: string;
  created: boolean;
  /** Set when the tenant existed but belonged to another installation, and was erased and provisioned again. */
  replaced?: string;
}

/**
 * Provisions the demo tenants. Idempotent: an existing tenant this installation can use is
 * returned as is. One provisioned by another checkout on the same machine (same local control
 * plane, other master key and object store; see demo-ownership.ts) could never be read here, so it
 * is erased and provisioned again for this installation; the demo data is then seeded anew.
 */
export async function provisionDemoTenants(
  platform: Pick<RunningPlatform, 'provisioner' | 'runtime'>,
  tenants: ReadonlyArray<ProvisionTenantInput> = demoTenants,
): Promise<DemoTenantResult[]> {
  const results: DemoTenantResult[] = [];
  for (const tenant of tenants) {
    const { created } = await platform.provisioner.provision({ ...tenant });
    const reason = created ? undefined : await foreignTenantReason(platform, tenant.id);
    if (!created && reason === undefined) {
      results.push({ id: tenant.id, created });
      continue;
    }
    if (reason !== undefined) {
      await platform.provisioner.deprovision(tenant.id);
      await platform.provisioner.provision({ ...tenant });
    }
    await markDemoTenantOwned(platform, tenant.id);
    results.push({ id: tenant.id, created: true, ...(reason !== undefined ? { replaced: reason } : {}) });
  }
  return results;
}

interface DatasetNode {
  id: string;
  name: string;
  latestVersion: { number: number; rowCount: number } | null;
}

const listDatasets = `query($after: String) {
  datasets(first: 100, after: $after) {
    edges { node { id name latestVersion { number rowCount } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const createDataset = `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id name latestVersion { number rowCount } } }`;
const createUpload = `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl method } }`;
const completeUpload = `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { number rowCount } }`;

/**
 * The demo dataset, through the same public flow a user follows (createDataset →
 * createDatasetUpload → PUT to the gateway's upload URL → completeDatasetUpload). Skipped when
 * it already has a version; a dataset left without one by an interrupted start gets its upload.
 */
export async function ensureDemoDataset(graphqlUrl: string, token: string): Promise<{ created: boolean; rowCount: number }> {
  let dataset = await findDataset(graphqlUrl, token, demoDatasetName);
  if (dataset?.latestVersion) return { created: false, rowCount: dataset.latestVersion.rowCount };
  dataset ??= (
    await graphql<{ createDataset: DatasetNode }>(graphqlUrl, token, createDataset, {
      input: { name: demoDatasetName, description: "Fisher's iris flowers, 15 rows (demo data created by npm start)" },
    })
  ).createDataset;

  const body = Buffer.from(irisCsv, 'utf8');
  const { createDatasetUpload: upload } = await graphql<{ createDatasetUpload: { id: string; uploadUrl: string; method: string } }>(
    graphqlUrl,
    token,
    createUpload,
    { input: { datasetId: dataset.id, filename: 'iris-sample.csv', byteSize: body.length, contentType: 'text/csv' } },
  );
  const put = await fetch(upload.uploadUrl, {
    method: upload.method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body,
  });
  if (!put.ok) throw new Error(`uploading the demo dataset failed with HTTP ${put.status}: ${(await put.text()).slice(0, 300)}`);
  const { completeDatasetUpload: version } = await graphql<{ completeDatasetUpload: { number: number; rowCount: number } }>(
    graphqlUrl,
    token,
    completeUpload,
    { id: upload.id },
  );
  return { created: true, rowCount: version.rowCount };
}

async function findDataset(graphqlUrl: string, token: string, name: string): Promise<DatasetNode | undefined> {
  let after: string | null = null;
  for (;;) {
    const { datasets }: { datasets: { edges: Array<{ node: DatasetNode }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await graphql(graphqlUrl, token, listDatasets, { after });
    const found = datasets.edges.find((edge) => edge.node.name.toLowerCase() === name.toLowerCase());
    if (found) return found.node;
    if (!datasets.pageInfo.hasNextPage) return undefined;
    after = datasets.pageInfo.endCursor;
  }
}

export const demoModelName = 'iris-classifier';
export const demoModelInput = 'features';
export const demoModelOutput = 'scores';

/**
 * A small MLP (4 → 4 relu → 3) with hand-set weights that scores the iris species from the petal
 * measurements: scores are [setosa, versicolor, virginica], the largest wins. Built in code with
 * @tessera/onnx (nothing is downloaded); the demo data's 15 rows are all classified correctly.
 */
export function buildDemoModel(): Uint8Array {
  return buildMlp({
    inputName: demoModelInput,
    outputName: demoModelOutput,
    layers: [
      {
        // inputs: sepal_length, sepal_width, petal_length, petal_width
        weights: [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
          [-1, 1, 0, 0],
          [0, 0, 1, -1],
        ],
        bias: [2.5, -2.5, -1.6, 1.6],
        activation: 'relu',
      },
      {
        weights: [
          [5, -3, 0],
          [0, 1, 0.5],
          [0, 0, 12],
          [0, 2, -4],
        ],
        bias: [0, 0, 0],
        activation: 'none',
      },
    ],
  });
}

const listModels = `query { models(first: 100) { edges { node { id name aliases { alias version { number } } } } } }`;
const createModel = `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`;
const createModelUpload = `mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl method } }`;
const completeModelUpload = `mutation($id: ID!) { completeModelUpload(uploadId: $id) { number } }`;
const setModelAlias = `mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { alias version { number } } }`;

interface ModelNode {
  id: string;
  name: string;
  aliases: Array<{ alias: string; version: { number: number } }>;
}

/**
 * The demo model, through the same public flow a user follows (createModel → createModelUpload →
 * PUT the ONNX file to the gateway → completeModelUpload → setModelAlias production). Skipped
 * when the model already has a `production` alias.
 */
export async function ensureDemoModel(graphqlUrl: string, token: string): Promise<{ created: boolean; version: number }> {
  const { models } = await graphql<{ models: { edges: Array<{ node: ModelNode }> } }>(graphqlUrl, token, listModels);
  const existing = models.edges.map((edge) => edge.node).find((node) => node.name.toLowerCase() === demoModelName);
  const production = existing?.aliases.find((alias) => alias.alias === 'production');
  if (production) return { created: false, version: production.version.number };
  const modelId =
    existing?.id ??
    (await graphql<{ createModel: { id: string } }>(graphqlUrl, token, createModel, { input: { name: demoModelName, description: 'Iris species scores from petal size: a 4-4-3 MLP (demo model created by npm start)' } }))
      .createModel.id;
  const body = Buffer.from(buildDemoModel());
  const { createModelUpload: upload } = await graphql<{ createModelUpload: { id: string; uploadUrl: string; method: string } }>(graphqlUrl, token, createModelUpload, {
    input: { modelId, filename: `${demoModelName}.onnx`, byteSize: body.length },
  });
  const put = await fetch(upload.uploadUrl, { method: upload.method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body });
  if (!put.ok) throw new Error(`uploading the demo model failed with HTTP ${put.status}: ${(await put.text()).slice(0, 300)}`);
  const { completeModelUpload: version } = await graphql<{ completeModelUpload: { number: number } }>(graphqlUrl, token, completeModelUpload, { id: upload.id });
  await graphql(graphqlUrl, token, setModelAlias, { input: { modelId, alias: 'production', version: version.number } });
  return { created: true, version: version.number };
}

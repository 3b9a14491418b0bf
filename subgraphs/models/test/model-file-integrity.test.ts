/**
 * A version's file that opens (it is a valid encrypted object under the model's key) but is not
 * the file the version was registered with — its sha256 differs — is DATA_CORRUPTED for the
 * caller, like any stored content failing its integrity check, not an untyped error masked as
 * INTERNAL_SERVER_ERROR; and nothing of the other file is run.
 */
import { quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { modelKeys } from '../src/data/model-keys';
import { linearModel, logisticModel, newModel, predict, rowsInput, uploadVersion } from './model-flow';

let stack: TestStack;
let tenant: TestTenant;
let scientist: string;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await stack.createTenant();
  scientist = await tenant.token('data_scientist');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it('a version whose stored file was replaced by another model is DATA_CORRUPTED at predict; the others still predict', async () => {
  const modelId = await newModel(stack, scientist, 'swapped');
  const version = await uploadVersion(stack, scientist, modelId, linearModel());
  const intact = await newModel(stack, scientist, 'intact');
  await uploadVersion(stack, scientist, intact, linearModel());
  const [row] = await stack.adminQuery<Array<{ object_key: string }>>(`SELECT object_key FROM ${quoteIdentifier(tenant.schema)}.model_versions WHERE id = ?`, [version.id]);
  const scope = await stack.platform.runtimes.models.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
  // Someone with the store and the model's key writes another model's bytes under this version's key.
  await scope.bucket.putEncryptedBuffer(row!.object_key, Buffer.from(logisticModel()), await modelKeys(scope).forWriting(modelId));
  const answer = await predict(stack, scientist, { modelId, version: 1, inputs: [rowsInput([[1, 2, 3]])] });
  expect(errorCodes(answer)).toEqual(["DATA_CORRUPTED"]);
  expect(JSON.stringify(answer.errors)).not.toContain(row!.object_key);
  expectNoErrors(await predict(stack, scientist, { modelId: intact, version: 1, inputs: [rowsInput([[1, 2, 3]])] }));
}, 60_000);

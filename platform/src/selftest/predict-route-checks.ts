import { DEFAULT_INPUT_NAME } from '@tessera/onnx';
import type { SelftestContext } from './context';
import type { TenantAResources } from './fixtures';
import { sendHttp } from './http-client';

/**
 * The gateway's predict route (POST /v1/predict), which reaches A's models without GraphQL: B, by
 * every handle it could guess (A's model id with its version or alias, A's model name), and a
 * caller without a token, are refused; A's own call is the control that the route and the
 * handles are real.
 */
export async function probePredictRoute(context: SelftestContext, resources: TenantAResources): Promise<void> {
  const modelId = resources.ids.model;
  if (!modelId || !resources.ids.modelVersion) {
    context.log.skip('isolation.predict-route.tenant-b', 'no model version was created');
    return;
  }
  const url = context.graphqlUrl.replace(/\/graphql$/, '/v1/predict');
  const inputs = [{ name: DEFAULT_INPUT_NAME, shape: [1, 1], data: [3] }];
  const call = (secret: string | undefined, handle: Record<string, unknown>) =>
    sendHttp(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) }, body: JSON.stringify({ ...handle, inputs, outputFormat: 'numbers' }) },
      context.transport,
    );
  const control = await call(context.a.secret, { modelId, version: 1 });
  const controlOk = control.status === 200 && control.body.toString('utf8').includes('"data":[6]');
  context.log.expect('isolation.predict-route.control', controlOk, `tenant A's own call: HTTP ${control.status} ${control.body.toString('utf8').slice(0, 160)}`);
  const handles: Array<[string, Record<string, unknown>]> = [
    ['model-id', { modelId, version: 1 }],
    ['model-id-alias', { modelId, alias: resources.alias }],
    ['model-name', { modelName: resources.name, version: 1 }],
  ];
  for (const [handle, body] of handles) {
    const answer = await call(context.b.secret, body);
    const text = answer.body.toString('utf8');
    context.log.expect(`isolation.predict-route.tenant-b.${handle}`, answer.status === 404 && !text.includes('"outputs"'), `HTTP ${answer.status} ${text.slice(0, 160)}`);
  }
  const anonymous = await call(undefined, { modelId, version: 1 });
  context.log.expect('isolation.predict-route.no-token', anonymous.status === 401, `HTTP ${anonymous.status} ${anonymous.body.toString('utf8').slice(0, 160)}`);
}

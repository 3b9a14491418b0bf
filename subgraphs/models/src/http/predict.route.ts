import { readJsonObject, type PlainRoute, type SubgraphContext } from '@tessera/service-kit';
import { PredictionService } from '../domain/prediction.service';
import { outputNumbers } from '../domain/predict-input';
import { parsePredictRequest } from '../domain/predict-request';
import { encodeBase64Tensor } from '../domain/tensor-base64';
import type { ModelsConfig } from '../domain/models-config';
import type { ModelServing } from '../serving/model-serving';

/** The same cap as a GraphQL request body: a call's tensors are bounded by maxValues well below it. */
const maxBodyBytes = 1024 * 1024;

/**
 * POST /internal/predict — `predict` without GraphQL, for the gateway's predict route. The same
 * PredictionService as the query (tenant scope from the gateway-signed context, quotas, cache,
 * pools, stats), the same checks on the input, and the answer the query would give for
 * `outputs { name elementType shape dataBase64 } modelVersion { id modelId number } batchSize latencyMs`
 * (`outputFormat: "numbers"` gives `data` lists instead). What it saves is the second GraphQL
 * execution: parsing, validation, the permission middleware around every field, and the result
 * tree, which cost more CPU per call than the prediction path itself. Served without express
 * (`plainRoutes`): its router and send() cost more per call than this handler.
 */
export function predictRoute(config: ModelsConfig, serving: ModelServing | undefined): PlainRoute {
  return {
    path: '/predict',
    async handle(req, res, tools) {
      let caller: SubgraphContext['caller'] | undefined;
      try {
        const ctx = await tools.authenticate(req);
        caller = ctx.caller;
        const { input, outputFormat } = parsePredictRequest(await readJsonObject(req, maxBodyBytes));
        const prediction = await new PredictionService(await ctx.scope(), serving, config).predict(input);
        const { modelVersion: version } = prediction;
        const text = JSON.stringify({
          data: {
            outputs: prediction.outputs.map((output) => ({
              name: output.name,
              elementType: output.elementType,
              shape: output.shape,
              ...(outputFormat === 'numbers' ? { data: outputNumbers(output.values) } : { dataBase64: encodeBase64Tensor(output.values) }),
            })),
            modelVersion: { id: version.id, modelId: version.modelId, number: version.number },
            batchSize: prediction.batchSize,
            latencyMs: prediction.latencyMs,
          },
        });
        res.statusCode = 200;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('content-length', Buffer.byteLength(text));
        res.end(text);
      } catch (error) {
        if (!req.readableEnded) req.resume();
        if (caller) await tools.recordDenial(caller, error, 'predict');
        tools.sendError(res, error);
      }
    },
  };
}

import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { ModelAlias } from '../data/model-alias.entity';
import type { ModelUpload } from '../data/model-upload.entity';
import type { ModelVersion } from '../data/model-version.entity';
import { servingConfigOf, type Model } from '../data/model.entity';
import type { StoredTensorSignature } from '../data/tensor-signature';
import { ModelService, type ServingConfigInput } from '../domain/model.service';
import { ModelUploadService, type ModelUploadCapacity } from '../domain/model-upload.service';
import type { ModelsConfig } from '../domain/models-config';
import { PredictionService, type PredictInput } from '../domain/prediction.service';
import { outputNumbers, type PredictionOutput } from '../domain/predict-input';
import { encodeBase64Tensor } from '../domain/tensor-base64';
import type { ModelServing } from '../serving/model-serving';

/** Resolvers stay thin: they pick the provider for the caller's tenant and pass arguments on. */
export function modelResolvers(config: ModelsConfig, serving: ModelServing | undefined, uploadCapacity: ModelUploadCapacity): GraphQLResolverMap<SubgraphContext> {
  // Changes predict must see are announced through the serving generation (when this process serves).
  const servingChanged = serving ? (tenantId: string) => serving.generations.changed(tenantId) : undefined;
  const models = async (ctx: SubgraphContext) => new ModelService(await ctx.scope(), servingChanged);
  const uploads = async (ctx: SubgraphContext) => new ModelUploadService(await ctx.scope(), config, uploadCapacity);
  const predictions = async (ctx: SubgraphContext) => new PredictionService(await ctx.scope(), serving, config);

  const signature = (tensor: StoredTensorSignature) => ({
    name: tensor.name,
    elementType: tensor.elementType,
    shapeKnown: tensor.shapeKnown !== false,
    shape: tensor.shape.map((dim) => ({ size: typeof dim === 'number' && dim > 0 ? dim : null, symbol: typeof dim === 'string' && dim !== '' ? dim : null })),
  });

  return {
    Query: {
      models: async (_: unknown, args: PageArgs, ctx: SubgraphContext) => (await models(ctx)).list(args),
      model: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await models(ctx)).get(args.id),
      modelByName: async (_: unknown, args: { name: string }, ctx: SubgraphContext) => (await models(ctx)).getByName(args.name),
      modelVersion: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await models(ctx)).getVersion(args.id),
      predict: async (_: unknown, args: { input: PredictInput }, ctx: SubgraphContext) => (await predictions(ctx)).predict(args.input),
    },
    Mutation: {
      createModel: async (_: unknown, args: { input: { name: string; description?: string | null } }, ctx: SubgraphContext) => (await models(ctx)).create(args.input),
      deleteModel: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await models(ctx)).delete(args.id),
      createModelUpload: async (_: unknown, args: { input: { modelId: string; filename: string; byteSize: number } }, ctx: SubgraphContext) =>
        (await uploads(ctx)).create(args.input),
      completeModelUpload: async (_: unknown, args: { uploadId: string; idempotencyKey?: string | null }, ctx: SubgraphContext) =>
        (await uploads(ctx)).complete(args.uploadId, args.idempotencyKey),
      setModelAlias: async (_: unknown, args: { input: { modelId: string; alias: string; version: number } }, ctx: SubgraphContext) => (await models(ctx)).setAlias(args.input),
      removeModelAlias: async (_: unknown, args: { modelId: string; alias: string }, ctx: SubgraphContext) => (await models(ctx)).removeAlias(args),
      deleteModelVersion: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await models(ctx)).deleteVersion(args.id),
      updateModelServing: async (_: unknown, args: { modelId: string; input: ServingConfigInput }, ctx: SubgraphContext) =>
        (await models(ctx)).updateServing(args.modelId, args.input),
    },
    Model: {
      __resolveReference: async (ref: { id: string }, ctx: SubgraphContext) => (await models(ctx)).get(ref.id),
      createdAt: (model: Model) => model.createdAt.toISOString(),
      versionCount: async (model: Model, _: unknown, ctx: SubgraphContext) => (await models(ctx)).versionCount(model.id),
      latestVersion: async (model: Model, _: unknown, ctx: SubgraphContext) => (await models(ctx)).latestVersion(model.id),
      versions: async (model: Model, args: PageArgs, ctx: SubgraphContext) => (await models(ctx)).listVersions(model.id, args),
      version: async (model: Model, args: { number: number }, ctx: SubgraphContext) => (await models(ctx)).getVersionByNumber(model.id, args.number),
      aliases: async (model: Model, _: unknown, ctx: SubgraphContext) => (await models(ctx)).aliasesOfModel(model.id),
      serving: (model: Model) => servingConfigOf(model),
    },
    ModelVersion: {
      __resolveReference: async (ref: { id: string }, ctx: SubgraphContext) => (await models(ctx)).getVersion(ref.id),
      model: async (version: ModelVersion, _: unknown, ctx: SubgraphContext) => (await models(ctx)).get(version.modelId),
      createdAt: (version: ModelVersion) => version.createdAt.toISOString(),
      inputs: (version: ModelVersion) => version.inputs.map(signature),
      outputs: (version: ModelVersion) => version.outputs.map(signature),
      lineage: (version: ModelVersion) => ({ datasetVersionId: version.datasetVersionId, jobId: version.jobId }),
      aliases: async (version: ModelVersion, _: unknown, ctx: SubgraphContext) => (await models(ctx)).aliasesOfVersion(version.id),
      downloadUrl: (version: ModelVersion, _: unknown, ctx: SubgraphContext) => `${ctx.publicUrl ?? ''}/downloads/models/${version.id}`,
    },
    TensorOutput: {
      // Made only for the fields the caller selected: a base64 caller never pays for the number list.
      data: (output: PredictionOutput) => outputNumbers(output.values),
      dataBase64: (output: PredictionOutput) => encodeBase64Tensor(output.values),
    },
    ModelAlias: {
      version: async (alias: ModelAlias, _: unknown, ctx: SubgraphContext) => (await models(ctx)).getVersion(alias.versionId),
      updatedAt: (alias: ModelAlias) => alias.updatedAt.toISOString(),
    },
    ModelUpload: {
      model: async (upload: ModelUpload, _: unknown, ctx: SubgraphContext) => (await models(ctx)).get(upload.modelId),
      uploadUrl: (upload: ModelUpload, _: unknown, ctx: SubgraphContext) => `${ctx.publicUrl ?? ''}/uploads/models/${upload.id}`,
      method: () => 'PUT',
      declaredBytes: (upload: ModelUpload) => upload.declaredSize,
      expiresAt: (upload: ModelUpload) => upload.expiresAt.toISOString(),
    },
  };
}

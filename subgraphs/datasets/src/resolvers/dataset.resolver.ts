import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { Dataset, DatasetUpload, DatasetVersion } from '../data/dataset.entity';
import type { DatasetsServiceConfig } from '../domain/datasets-config';
import { DatasetService } from '../domain/dataset.service';
import { openVersionColumns } from '../data/dataset-profile-seal';
import { chargeProfileRead, storedProfileBytes } from '../domain/profile-read-budget';
import { DatasetUploadService } from '../domain/dataset-upload.service';

/** Resolvers stay thin: they pick the provider for the caller's tenant and pass arguments on. */
export function datasetResolvers(config: DatasetsServiceConfig): GraphQLResolverMap<SubgraphContext> {
  const datasets = async (ctx: SubgraphContext) => new DatasetService(await ctx.scope(), config);
  const uploads = async (ctx: SubgraphContext) => new DatasetUploadService(await ctx.scope(), config);

  return {
    Query: {
      datasets: async (_: unknown, args: PageArgs, ctx: SubgraphContext) => (await datasets(ctx)).list(args),
      dataset: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await datasets(ctx)).get(args.id),
      datasetVersion: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await datasets(ctx)).getVersion(args.id),
    },
    Mutation: {
      createDataset: async (_: unknown, args: { input: { name: string; description?: string | null } }, ctx: SubgraphContext) =>
        (await datasets(ctx)).create(args.input),
      deleteDataset: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await datasets(ctx)).delete(args.id),
      createDatasetUpload: async (
        _: unknown,
        args: { input: { datasetId: string; filename: string; byteSize: number; contentType?: string | null } },
        ctx: SubgraphContext,
      ) => (await uploads(ctx)).create(args.input),
      completeDatasetUpload: async (_: unknown, args: { uploadId: string }, ctx: SubgraphContext) => (await uploads(ctx)).complete(args.uploadId),
    },
    Dataset: {
      __resolveReference: async (ref: { id: string }, ctx: SubgraphContext) => (await datasets(ctx)).get(ref.id),
      createdAt: (dataset: Dataset) => dataset.createdAt.toISOString(),
      versionCount: async (dataset: Dataset, _: unknown, ctx: SubgraphContext) => (await datasets(ctx)).versionCount(dataset.id),
      latestVersion: async (dataset: Dataset, _: unknown, ctx: SubgraphContext) => (await datasets(ctx)).latestVersion(dataset.id),
      versions: async (dataset: Dataset, args: PageArgs, ctx: SubgraphContext) => (await datasets(ctx)).listVersions(dataset.id, args),
    },
    DatasetVersion: {
      __resolveReference: async (ref: { id: string }, ctx: SubgraphContext) => (await datasets(ctx)).getVersion(ref.id),
      dataset: async (version: DatasetVersion, _: unknown, ctx: SubgraphContext) => (await datasets(ctx)).get(version.datasetId),
      createdAt: (version: DatasetVersion) => version.createdAt.toISOString(),
      // Opened per field: a profile that does not open fails this field only (CONFLICT), not the page.
      // Charged before it is opened: a request past its budget of profiles opens no more.
      columns: async (version: DatasetVersion, _: unknown, ctx: SubgraphContext) => {
        chargeProfileRead(ctx, storedProfileBytes(version.columns), config.maxProfileBytesPerRequest);
        return openVersionColumns(await ctx.scope(), version.id, version.columns);
      },
      preview: async (version: DatasetVersion, args: { limit: number }, ctx: SubgraphContext) => (await datasets(ctx)).preview(version, args.limit),
    },
    DatasetUpload: {
      dataset: async (upload: DatasetUpload, _: unknown, ctx: SubgraphContext) => (await datasets(ctx)).get(upload.datasetId),
      uploadUrl: (upload: DatasetUpload, _: unknown, ctx: SubgraphContext) => `${ctx.publicUrl ?? ''}/uploads/datasets/${upload.id}`,
      method: () => 'PUT',
      declaredBytes: (upload: DatasetUpload) => upload.declaredSize,
      maxBytes: (upload: DatasetUpload) => upload.declaredSize,
      expiresAt: (upload: DatasetUpload) => upload.expiresAt.toISOString(),
    },
  };
}

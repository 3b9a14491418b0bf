import type { EntityManager } from 'typeorm';
import { errors } from '@tessera/errors';
import { parseUuid } from '@tessera/service-kit';
import { columnNameKey } from '@tessera/tabular';
import type { TenantScope } from '@tessera/tenancy';
import type { DatasetsPort, DatasetVersionForJob as CatalogDatasetVersion } from '@tessera/datasets/ports';
import type { ModelsPort, ModelVersionForJob as CatalogModelVersion } from '@tessera/models/ports';
import { isTesseraError } from '@tessera/errors';
import { isNumericColumn, trainingFeatureColumns } from './training-features';
import {
  derivedName,
  maxBatchPredictionValues,
  maxJobRows,
  parseAlias,
  parseColumnList,
  parseHyperParameters,
  parseModelType,
  parseNewColumnName,
  parseResourceName,
  predictionColumnNames,
  type BatchInferenceJobInput,
  type HyperParametersArgs,
  type ProfileJobInput,
  type TrainJobInput,
} from './job-input';
import { jobNotFound, type JobTargetType } from './job-not-found';

/** The catalog a submit is checked against: the datasets and models services' ports. */
export interface JobCatalog {
  datasets: DatasetsPort;
  models: ModelsPort;
}

export interface SubmitTrainingArgs {
  datasetVersionId: string;
  targetColumn: string;
  featureColumns?: string[] | null;
  modelType: string;
  modelName?: string | null;
  hyperParameters?: HyperParametersArgs | null;
}

export interface SubmitBatchInferenceArgs {
  datasetVersionId: string;
  modelVersionId?: string | null;
  modelId?: string | null;
  alias?: string | null;
  featureColumns?: string[] | null;
  outputDatasetName?: string | null;
  predictionColumn?: string | null;
}

export interface SubmitProfileArgs {
  datasetVersionId: string;
  columns?: string[] | null;
}

/**
 * Submit-time validation: everything a worker would otherwise discover minutes later is checked
 * here, against the tenant's own catalog, before anything is written or queued. Unknown
 * references are NOT_FOUND; everything else wrong is BAD_USER_INPUT naming the field.
 */
export class JobInputResolver {
  constructor(
    private readonly scope: TenantScope,
    private readonly manager: EntityManager,
    private readonly catalog: JobCatalog,
  ) {}

  async training(args: SubmitTrainingArgs): Promise<TrainJobInput> {
    const modelType = parseModelType(args.modelType);
    const version = await this.datasetVersion(args.datasetVersionId);
    const target = this.filledColumn(version, args.targetColumn, 'targetColumn');
    if (!isNumericColumn(target)) {
      throw errors.badInput(`targetColumn ${JSON.stringify(target.name)} is ${target.type}; the target must be numeric (INTEGER, FLOAT or BOOLEAN).`, { field: 'targetColumn' });
    }
    let featureColumns: string[];
    if (args.featureColumns === null || args.featureColumns === undefined) {
      featureColumns = version.columns.filter((c) => c.name !== target.name && isNumericColumn(c)).map((c) => c.name);
      if (featureColumns.length === 0) throw errors.badInput('The dataset has no numeric column besides the target to use as a feature.', { field: 'featureColumns' });
    } else {
      featureColumns = this.numericColumns(version, args.featureColumns, 'featureColumns');
      if (featureColumns.includes(target.name)) throw errors.badInput('featureColumns must not include the target column.', { field: 'featureColumns' });
    }
    const hyperParameters = parseHyperParameters(modelType, args.hyperParameters);
    const modelName =
      args.modelName === null || args.modelName === undefined ? derivedName(version.datasetName, modelType.toLowerCase().replace(/_/g, '-')) : parseResourceName(args.modelName, 'modelName');
    return { kind: 'TRAIN', datasetVersionId: version.id, targetColumn: target.name, featureColumns, modelType, modelName, hyperParameters };
  }

  async batchInference(args: SubmitBatchInferenceArgs): Promise<BatchInferenceJobInput> {
    const version = await this.datasetVersion(args.datasetVersionId);
    const model = await this.modelVersion(args);
    if (model.inputs.length !== 1) throw errors.badInput('Batch inference supports models with exactly one input tensor.', { field: 'modelVersionId' });
    const input = model.inputs[0]!;
    if (input.elementType !== 'float32' || (input.shape.length !== 2 && input.shape.length !== 0)) {
      throw errors.badInput(`Batch inference needs a float32 [rows, features] input; this model takes ${input.elementType} ${JSON.stringify(input.shape)}.`, { field: 'modelVersionId' });
    }
    const width = typeof input.shape[1] === 'number' ? input.shape[1] : undefined;
    let featureColumns: string[];
    if (args.featureColumns === null || args.featureColumns === undefined) {
      const trained = model.jobId ? await trainingFeatureColumns(this.manager, model.jobId) : undefined;
      featureColumns = trained ?? version.columns.filter(isNumericColumn).map((c) => c.name);
      featureColumns.forEach((name) => this.column(version, name, 'featureColumns'));
      this.numericColumns(version, featureColumns, 'featureColumns');
    } else {
      featureColumns = this.numericColumns(version, args.featureColumns, 'featureColumns');
    }
    if (width !== undefined && featureColumns.length !== width) {
      throw errors.badInput(`The model takes ${width} features; featureColumns has ${featureColumns.length}.`, { field: 'featureColumns' });
    }
    const predictionColumn = parseNewColumnName(args.predictionColumn ?? 'prediction', 'predictionColumn');
    // A model with several values per row (class scores) gets one column each: <name>_0, <name>_1, …
    const perRow = (model.outputs[0]?.shape ?? []).slice(1);
    const fixed = perRow.filter((dim): dim is number => typeof dim === 'number');
    const outputWidth = perRow.length > 0 && fixed.length === perRow.length ? fixed.reduce((a, b) => a * b, 1) : undefined;
    // A width the model leaves symbolic is bounded by the worker when the first answer shows it.
    if (outputWidth !== undefined && version.rowCount * outputWidth > maxBatchPredictionValues) {
      throw errors.badInput(
        `The model answers ${outputWidth} values per row; over ${version.rowCount} rows that is ${version.rowCount * outputWidth} predictions, and a batch inference keeps at most ${maxBatchPredictionValues}. Split the dataset or use a model with fewer outputs.`,
        { field: 'datasetVersionId' },
      );
    }
    for (const name of predictionColumnNames(predictionColumn, outputWidth ?? 1)) {
      // Compared as the output's header will be (case aside): a clash found only then failed the finished run.
      const existing = version.columns.find((c) => columnNameKey(c.name) === columnNameKey(name));
      if (existing) {
        throw errors.badInput(`The dataset already has a column ${JSON.stringify(existing.name)}; choose another predictionColumn.`, { field: 'predictionColumn' });
      }
    }
    const outputDatasetName =
      args.outputDatasetName === null || args.outputDatasetName === undefined ? derivedName(version.datasetName, 'predictions') : parseResourceName(args.outputDatasetName, 'outputDatasetName');
    return {
      kind: 'BATCH_INFERENCE',
      datasetVersionId: version.id,
      modelId: model.modelId,
      modelVersionId: model.id,
      alias: args.alias ?? null,
      featureColumns,
      outputDatasetName,
      predictionColumn,
    };
  }

  async profile(args: SubmitProfileArgs): Promise<ProfileJobInput> {
    const version = await this.datasetVersion(args.datasetVersionId);
    const columns = args.columns === null || args.columns === undefined ? null : parseColumnList(args.columns, 'columns');
    columns?.forEach((name) => this.column(version, name, 'columns'));
    return { kind: 'PROFILE', datasetVersionId: version.id, columns };
  }

  private async datasetVersion(rawId: string): Promise<CatalogDatasetVersion> {
    const id = parseUuid(rawId, 'datasetVersionId');
    const version = await this.lookup('DatasetVersion', id, () => this.catalog.datasets.findVersionForJob(this.scope.principal, { datasetVersionId: id }));
    if (version.rowCount === 0) throw errors.badInput('The dataset version has no data rows.', { field: 'datasetVersionId' });
    if (version.rowCount > maxJobRows) throw errors.badInput(`The dataset version has ${version.rowCount} rows; jobs take at most ${maxJobRows}.`, { field: 'datasetVersionId' });
    return version;
  }

  private async modelVersion(args: SubmitBatchInferenceArgs): Promise<CatalogModelVersion> {
    const byVersion = args.modelVersionId !== null && args.modelVersionId !== undefined;
    const byAlias = args.modelId !== null && args.modelId !== undefined;
    if (byVersion === byAlias) throw errors.badInput('Give either modelVersionId, or modelId with alias.', { field: 'modelVersionId' });
    if (byVersion) {
      // An alias beside a version would be stored with the job as if it had chosen the version.
      if (args.alias !== null && args.alias !== undefined) throw errors.badInput('alias goes with modelId; with modelVersionId the version is already chosen.', { field: 'alias' });
      const id = parseUuid(args.modelVersionId!, 'modelVersionId');
      return this.lookup('ModelVersion', id, () => this.catalog.models.findVersionForJob(this.scope.principal, { modelVersionId: id }));
    }
    const modelId = parseUuid(args.modelId!, 'modelId');
    if (args.alias === null || args.alias === undefined) throw errors.badInput('alias is required with modelId.', { field: 'alias' });
    const alias = parseAlias(args.alias);
    return this.lookup('ModelAlias', `${modelId}@${alias}`, () => this.catalog.models.findAliasForJob(this.scope.principal, { modelId, alias }), modelId);
  }

  /**
   * A port lookup whose NOT_FOUND becomes this subgraph's own (recorded when the id is another
   * tenant's). The port names which of model or alias was missing in `kind`.
   */
  private async lookup<T>(type: JobTargetType, handle: string, find: () => Promise<T>, modelId?: string): Promise<T> {
    try {
      return await find();
    } catch (error) {
      if (!isTesseraError(error) || error.code !== 'NOT_FOUND') throw error;
      if (modelId && error.extensions['kind'] === 'Model') throw await jobNotFound(this.scope, 'Model', modelId);
      throw await jobNotFound(this.scope, type, handle);
    }
  }

  private column(version: CatalogDatasetVersion, name: string, field: string) {
    const column = version.columns.find((c) => c.name === name);
    if (!column) throw errors.badInput(`${field}: the dataset version has no column ${JSON.stringify(name)}.`, { field });
    return column;
  }

  /** A column to train on or predict from must hold values: an all-empty one is an empty dataset for the job. */
  private filledColumn(version: CatalogDatasetVersion, name: string, field: string) {
    const column = this.column(version, name, field);
    if (column.nullCount >= version.rowCount) throw errors.badInput(`${field}: column ${JSON.stringify(name)} is empty in every row.`, { field });
    return column;
  }

  private numericColumns(version: CatalogDatasetVersion, names: readonly string[], field: string): string[] {
    const list = parseColumnList(names, field);
    for (const name of list) {
      const column = this.filledColumn(version, name, field);
      if (!isNumericColumn(column)) throw errors.badInput(`${field}: column ${JSON.stringify(name)} is ${column.type}, not numeric.`, { field });
    }
    return list;
  }
}

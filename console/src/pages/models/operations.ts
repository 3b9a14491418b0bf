import { graphql } from '../../generated';

export const ModelsQuery = graphql(`
  query ConsoleModels($first: Int!, $after: String) {
    models(first: $first, after: $after) {
      edges { cursor node { id name description versionCount createdAt aliases { alias version { number } } latestVersion { id number } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const ModelQuery = graphql(`
  query ConsoleModel($id: ID!) {
    model(id: $id) {
      id name description createdAt createdBy
      serving { batching maxBatchSize maxDelayMs timeoutMs }
      aliases { alias updatedAt updatedBy version { id number } }
      versions(first: 10) {
        edges { node { id number byteSize sha256 createdAt createdBy aliases lineage { datasetVersionId jobId } } }
      }
    }
  }
`);

// One version's signature on its own: nested lists in every version would be over the cost limit.
export const ModelVersionQuery = graphql(`
  query ConsoleModelVersion($id: ID!) {
    modelVersion(id: $id) {
      id number irVersion producer
      model { id }
      opsets { domain version }
      inputs { name elementType shapeKnown shape { size symbol } }
      outputs { name elementType shapeKnown shape { size symbol } }
    }
  }
`);

export const LineageDatasetQuery = graphql(`
  query ConsoleLineageDataset($id: ID!) {
    datasetVersion(id: $id) { id number dataset { id name } }
  }
`);

export const CreateModelMutation = graphql(`
  mutation ConsoleCreateModel($input: CreateModelInput!) {
    createModel(input: $input) { id name }
  }
`);

export const CreateModelUploadMutation = graphql(`
  mutation ConsoleCreateModelUpload($input: CreateModelUploadInput!) {
    createModelUpload(input: $input) { id uploadUrl }
  }
`);

export const CompleteModelUploadMutation = graphql(`
  mutation ConsoleCompleteModelUpload($uploadId: ID!, $idempotencyKey: String) {
    completeModelUpload(uploadId: $uploadId, idempotencyKey: $idempotencyKey) { id number }
  }
`);

export const SetAliasMutation = graphql(`
  mutation ConsoleSetModelAlias($input: SetModelAliasInput!) {
    setModelAlias(input: $input) { alias version { id number } }
  }
`);

export const RemoveAliasMutation = graphql(`
  mutation ConsoleRemoveModelAlias($modelId: ID!, $alias: String!) {
    removeModelAlias(modelId: $modelId, alias: $alias) { alias versionNumber }
  }
`);

export const UpdateServingMutation = graphql(`
  mutation ConsoleUpdateModelServing($modelId: ID!, $input: ModelServingInput!) {
    updateModelServing(modelId: $modelId, input: $input) { id serving { batching maxBatchSize maxDelayMs timeoutMs } }
  }
`);

export const PredictQuery = graphql(`
  query ConsolePredict($input: PredictInput!) {
    predict(input: $input) { batchSize latencyMs modelVersion { number } outputs { name elementType shape data } }
  }
`);

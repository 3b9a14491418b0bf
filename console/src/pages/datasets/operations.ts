import { graphql } from '../../generated';

export const DatasetsQuery = graphql(`
  query ConsoleDatasets($first: Int!, $after: String) {
    datasets(first: $first, after: $after) {
      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const DatasetQuery = graphql(`
  query ConsoleDataset($id: ID!) {
    dataset(id: $id) {
      id name description createdAt createdBy versionCount
      versions(first: 20) {
        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }
      }
    }
  }
`);

export const DatasetVersionQuery = graphql(`
  query ConsoleDatasetVersion($id: ID!) {
    datasetVersion(id: $id) { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } dataset { id } }
  }
`);

export const DatasetPreviewQuery = graphql(`
  query ConsoleDatasetPreview($id: ID!) {
    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }
  }
`);

// Two bounded look-ups, newest first, however many jobs the version has: its newest successful
// profile, and its newest profiling job (to say one is still running, or failed).
export const ProfileJobsQuery = graphql(`
  query ConsoleProfileJobs($datasetVersionId: ID!) {
    latest: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], datasetVersionId: $datasetVersionId }) {
      edges { node { id status } }
    }
    profiled: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], status: [SUCCEEDED], datasetVersionId: $datasetVersionId }) {
      edges { node { id createdAt result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }
    }
  }
`);

export const CreateDatasetMutation = graphql(`
  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {
    createDataset(input: $input) { id name }
  }
`);

export const CreateDatasetUploadMutation = graphql(`
  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {
    createDatasetUpload(input: $input) { id uploadUrl maxBytes }
  }
`);

export const CompleteDatasetUploadMutation = graphql(`
  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {
    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }
  }
`);

export const DeleteDatasetMutation = graphql(`
  mutation ConsoleDeleteDataset($id: ID!) {
    deleteDataset(id: $id) { id deletedVersions }
  }
`);

export const SubmitProfileMutation = graphql(`
  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {
    submitProfileJob(input: $input) { id status }
  }
`);

import { graphql } from '../../generated';

export const JobsQuery = graphql(`
  query ConsoleJobs($first: Int!, $after: String, $filter: JobFilter) {
    jobs(first: $first, after: $after, filter: $filter) {
      edges { cursor node { id kind status progress phase createdAt createdBy attempts } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const JobQuery = graphql(`
  query ConsoleJob($id: ID!) {
    job(id: $id) {
      id kind status progress phase attempts cancelRequested createdAt createdBy startedAt finishedAt lossHistory
      input { datasetVersionId }
      error { code message }
      result { modelId modelVersionId modelVersionNumber finalLoss trainingRows predictedRows skippedRows datasetId datasetVersionId }
    }
  }
`);

export const JobProgressSubscription = graphql(`
  subscription ConsoleJobProgress($jobId: ID!) {
    jobProgress(jobId: $jobId) { jobId status progress phase occurredAt metrics { name value } error { code message } }
  }
`);

export const SubmitTrainingMutation = graphql(`
  mutation ConsoleSubmitTraining($input: SubmitTrainingJobInput!) {
    submitTrainingJob(input: $input) { id }
  }
`);

export const SubmitBatchInferenceMutation = graphql(`
  mutation ConsoleSubmitBatchInference($input: SubmitBatchInferenceJobInput!) {
    submitBatchInferenceJob(input: $input) { id }
  }
`);

export const SubmitProfileJobMutation = graphql(`
  mutation ConsoleSubmitProfileJob($input: SubmitProfileJobInput!) {
    submitProfileJob(input: $input) { id }
  }
`);

export const CancelJobMutation = graphql(`
  mutation ConsoleCancelJob($id: ID!) {
    cancelJob(id: $id) { id status cancelRequested }
  }
`);

export const RetryJobMutation = graphql(`
  mutation ConsoleRetryJob($id: ID!) {
    retryJob(id: $id) { id status }
  }
`);

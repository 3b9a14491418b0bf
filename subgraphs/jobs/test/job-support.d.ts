import type { JobEventPayload } from '@tessera/events';
import { type QueueCounts } from '@tessera/job-queue';
import { type TestStack, type TestTenant } from '@tessera/testing';
export declare const jobFields = "id kind status progress phase attempts cancelRequested createdBy createdAt updatedAt startedAt finishedAt lossHistory\n  metrics { name value }\n  error { code message }\n  input { datasetVersionId targetColumn featureColumns modelType modelName modelId modelVersionId alias outputDatasetName predictionColumn columns\n          hyperParameters { epochs learningRate batchSize l2 hiddenUnits activation seed } }\n  result { modelId modelVersionId modelVersionNumber weights bias finalLoss trainingRows skippedRows datasetId datasetVersionId predictedRows\n           profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate distinctExact topValues { value count } } } }";
export interface JobView {
    id: string;
    kind: string;
    status: string;
    progress: number;
    phase: string | null;
    attempts: number;
    cancelRequested: boolean;
    lossHistory: number[];
    metrics: Array<{
        name: string;
        value: number;
    }> | null;
    error: {
        code: string;
        message: string;
    } | null;
    input: Record<string, unknown>;
    result: {
        modelId: string | null;
        modelVersionId: string | null;
        modelVersionNumber: number | null;
        weights: number[] | null;
        bias: number | null;
        finalLoss: number | null;
        trainingRows: number | null;
        skippedRows: number | null;
        datasetId: string | null;
        datasetVersionId: string | null;
        predictedRows: number | null;
        profile: {
            rowCount: number;
            columns: Array<Record<string, unknown>>;
        } | null;
    } | null;
    startedAt: string | null;
    finishedAt: string | null;
}
export declare const submitTraining = "mutation($input: SubmitTrainingJobInput!) { submitTrainingJob(input: $input) { id kind status progress phase attempts cancelRequested createdBy createdAt updatedAt startedAt finishedAt lossHistory\n  metrics { name value }\n  error { code message }\n  input { datasetVersionId targetColumn featureColumns modelType modelName modelId modelVersionId alias outputDatasetName predictionColumn columns\n          hyperParameters { epochs learningRate batchSize l2 hiddenUnits activation seed } }\n  result { modelId modelVersionId modelVersionNumber weights bias finalLoss trainingRows skippedRows datasetId datasetVersionId predictedRows\n           profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate distinctExact topValues { value count } } } } } }";
export declare const submitBatch = "mutation($input: SubmitBatchInferenceJobInput!) { submitBatchInferenceJob(input: $input) { id kind status progress phase attempts cancelRequested createdBy createdAt updatedAt startedAt finishedAt lossHistory\n  metrics { name value }\n  error { code message }\n  input { datasetVersionId targetColumn featureColumns modelType modelName modelId modelVersionId alias outputDatasetName predictionColumn columns\n          hyperParameters { epochs learningRate batchSize l2 hiddenUnits activation seed } }\n  result { modelId modelVersionId modelVersionNumber weights bias finalLoss trainingRows skippedRows datasetId datasetVersionId predictedRows\n           profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate distinctExact topValues { value count } } } } } }";
export declare const submitProfile = "mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { id kind status progress phase attempts cancelRequested createdBy createdAt updatedAt startedAt finishedAt lossHistory\n  metrics { name value }\n  error { code message }\n  input { datasetVersionId targetColumn featureColumns modelType modelName modelId modelVersionId alias outputDatasetName predictionColumn columns\n          hyperParameters { epochs learningRate batchSize l2 hiddenUnits activation seed } }\n  result { modelId modelVersionId modelVersionNumber weights bias finalLoss trainingRows skippedRows datasetId datasetVersionId predictedRows\n           profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate distinctExact topValues { value count } } } } } }";
export declare const cancelJob = "mutation($id: ID!) { cancelJob(id: $id) { id kind status progress phase attempts cancelRequested createdBy createdAt updatedAt startedAt finishedAt lossHistory\n  metrics { name value }\n  error { code message }\n  input { datasetVersionId targetColumn featureColumns modelType modelName modelId modelVersionId alias outputDatasetName predictionColumn columns\n          hyperParameters { epochs learningRate batchSize l2 hiddenUnits activation seed } }\n  result { modelId modelVersionId modelVersionNumber weights bias finalLoss trainingRows skippedRows datasetId datasetVersionId predictedRows\n           profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate distinctExact topValues { value count } } } } } }";
export declare const retryJob = "mutation($id: ID!) { retryJob(id: $id) { id kind status progress phase attempts cancelRequested createdBy createdAt updatedAt startedAt finishedAt lossHistory\n  metrics { name value }\n  error { code message }\n  input { datasetVersionId targetColumn featureColumns modelType modelName modelId modelVersionId alias outputDatasetName predictionColumn columns\n          hyperParameters { epochs learningRate batchSize l2 hiddenUnits activation seed } }\n  result { modelId modelVersionId modelVersionNumber weights bias finalLoss trainingRows skippedRows datasetId datasetVersionId predictedRows\n           profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate distinctExact topValues { value count } } } } } }";
export declare const getJob = "query($id: ID!) { job(id: $id) { id kind status progress phase attempts cancelRequested createdBy createdAt updatedAt startedAt finishedAt lossHistory\n  metrics { name value }\n  error { code message }\n  input { datasetVersionId targetColumn featureColumns modelType modelName modelId modelVersionId alias outputDatasetName predictionColumn columns\n          hyperParameters { epochs learningRate batchSize l2 hiddenUnits activation seed } }\n  result { modelId modelVersionId modelVersionNumber weights bias finalLoss trainingRows skippedRows datasetId datasetVersionId predictedRows\n           profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate distinctExact topValues { value count } } } } } }";
/** A dataset with one version holding `csv`, through the real upload flow (gateway PUT). */
export declare function uploadDataset(stack: TestStack, token: string, name: string, csv: string): Promise<{
    datasetId: string;
    versionId: string;
}>;
export declare function jobView(stack: TestStack, token: string, id: string): Promise<JobView>;
/** Polls the job until its status is one of `statuses` (a wait, not an assertion on speed). */
export declare function waitForStatus(stack: TestStack, token: string, id: string, statuses: string[], timeoutMs?: number): Promise<JobView>;
/** Polls until `check` holds (for conditions on rows, not on the GraphQL view). */
export declare function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
/** Raw job rows of a tenant (the service account reads the tenant schema directly). */
export declare function jobRows(stack: TestStack, tenant: TestTenant): Promise<Array<Record<string, unknown>>>;
/** The tenant's BullMQ queue counts, read with the stack's own key prefix. */
export declare function queueCounts(stack: TestStack, tenantId: string): Promise<QueueCounts>;
/** Collects every event published on a tenant's 'jobs' topic until `close()`. */
export declare function recordJobEvents(stack: TestStack, tenantId: string): Promise<{
    events: JobEventPayload[];
    close(): Promise<void>;
}>;
/** y = 3·x1 − 2·x2 + 0.5·x3 + 4 with tiny noise, x's spread over different scales. */
export declare function linearCsv(rows: number, seed?: number): string;

/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query ConsoleMe {\n    me { subject tenantId roles }\n  }\n": typeof types.ConsoleMeDocument,
    "\n  query ConsoleAuditEvents($first: Int!, $after: String, $filter: AuditEventFilter) {\n    auditEvents(first: $first, after: $after, filter: $filter) {\n      edges { cursor node { id sequence occurredAt action outcome actorSubject actorRoles targetType targetId requestId recordedBy } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ConsoleAuditEventsDocument,
    "\n  query ConsoleVerifyAuditChain {\n    verifyAuditChain { valid checkedEvents headSequence firstBadSequence reason checkpointsChecked }\n  }\n": typeof types.ConsoleVerifyAuditChainDocument,
    "\n  query ConsoleAuditCheckpoints {\n    auditCheckpoints { sequence headHash keyId signedAt objectKey }\n  }\n": typeof types.ConsoleAuditCheckpointsDocument,
    "\n  mutation ConsoleCreateAuditCheckpoint {\n    createAuditCheckpoint { sequence signedAt }\n  }\n": typeof types.ConsoleCreateAuditCheckpointDocument,
    "\n  mutation ConsoleExportAuditEvents($from: DateTime!, $to: DateTime!) {\n    exportAuditEvents(from: $from, to: $to) { eventCount objectKey proofObjectKey sha256 firstSequence lastSequence }\n  }\n": typeof types.ConsoleExportAuditEventsDocument,
    "\n  query ConsoleAlerts {\n    alerts(first: 50) { id rule status summary observed threshold createdAt acknowledgedAt acknowledgedBy }\n  }\n": typeof types.ConsoleAlertsDocument,
    "\n  subscription ConsoleAlertsLive {\n    alerts { id rule status summary observed threshold createdAt }\n  }\n": typeof types.ConsoleAlertsLiveDocument,
    "\n  mutation ConsoleAcknowledgeAlert($id: ID!) {\n    acknowledgeAlert(id: $id) { id status acknowledgedAt acknowledgedBy }\n  }\n": typeof types.ConsoleAcknowledgeAlertDocument,
    "\n  query ConsoleAlertWebhook {\n    alertWebhook { url createdAt }\n  }\n": typeof types.ConsoleAlertWebhookDocument,
    "\n  mutation ConsoleSetAlertWebhook($url: String!) {\n    setAlertWebhook(url: $url) { url secret createdAt }\n  }\n": typeof types.ConsoleSetAlertWebhookDocument,
    "\n  mutation ConsoleRemoveAlertWebhook {\n    removeAlertWebhook\n  }\n": typeof types.ConsoleRemoveAlertWebhookDocument,
    "\n  query ConsoleDatasets($first: Int!, $after: String) {\n    datasets(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ConsoleDatasetsDocument,
    "\n  query ConsoleDataset($id: ID!) {\n    dataset(id: $id) {\n      id name description createdAt createdBy versionCount\n      versions(first: 20) {\n        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }\n      }\n    }\n  }\n": typeof types.ConsoleDatasetDocument,
    "\n  query ConsoleDatasetVersion($id: ID!) {\n    datasetVersion(id: $id) { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } dataset { id } }\n  }\n": typeof types.ConsoleDatasetVersionDocument,
    "\n  query ConsoleDatasetPreview($id: ID!) {\n    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }\n  }\n": typeof types.ConsoleDatasetPreviewDocument,
    "\n  query ConsoleProfileJobs($datasetVersionId: ID!) {\n    latest: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], datasetVersionId: $datasetVersionId }) {\n      edges { node { id status } }\n    }\n    profiled: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], status: [SUCCEEDED], datasetVersionId: $datasetVersionId }) {\n      edges { node { id createdAt result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }\n    }\n  }\n": typeof types.ConsoleProfileJobsDocument,
    "\n  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) { id name }\n  }\n": typeof types.ConsoleCreateDatasetDocument,
    "\n  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) { id uploadUrl maxBytes }\n  }\n": typeof types.ConsoleCreateDatasetUploadDocument,
    "\n  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {\n    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }\n  }\n": typeof types.ConsoleCompleteDatasetUploadDocument,
    "\n  mutation ConsoleDeleteDataset($id: ID!) {\n    deleteDataset(id: $id) { id deletedVersions }\n  }\n": typeof types.ConsoleDeleteDatasetDocument,
    "\n  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id status }\n  }\n": typeof types.ConsoleSubmitProfileDocument,
    "\n  query ConsoleJobs($first: Int!, $after: String, $filter: JobFilter) {\n    jobs(first: $first, after: $after, filter: $filter) {\n      edges { cursor node { id kind status progress phase createdAt createdBy attempts } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ConsoleJobsDocument,
    "\n  query ConsoleJob($id: ID!) {\n    job(id: $id) {\n      id kind status progress phase attempts cancelRequested createdAt createdBy startedAt finishedAt lossHistory\n      input { datasetVersionId }\n      error { code message }\n      result { modelId modelVersionId modelVersionNumber finalLoss trainingRows predictedRows skippedRows datasetId datasetVersionId }\n    }\n  }\n": typeof types.ConsoleJobDocument,
    "\n  subscription ConsoleJobProgress($jobId: ID!) {\n    jobProgress(jobId: $jobId) { jobId status progress phase occurredAt metrics { name value } error { code message } }\n  }\n": typeof types.ConsoleJobProgressDocument,
    "\n  mutation ConsoleSubmitTraining($input: SubmitTrainingJobInput!) {\n    submitTrainingJob(input: $input) { id }\n  }\n": typeof types.ConsoleSubmitTrainingDocument,
    "\n  mutation ConsoleSubmitBatchInference($input: SubmitBatchInferenceJobInput!) {\n    submitBatchInferenceJob(input: $input) { id }\n  }\n": typeof types.ConsoleSubmitBatchInferenceDocument,
    "\n  mutation ConsoleSubmitProfileJob($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id }\n  }\n": typeof types.ConsoleSubmitProfileJobDocument,
    "\n  mutation ConsoleCancelJob($id: ID!) {\n    cancelJob(id: $id) { id status cancelRequested }\n  }\n": typeof types.ConsoleCancelJobDocument,
    "\n  mutation ConsoleRetryJob($id: ID!) {\n    retryJob(id: $id) { id status }\n  }\n": typeof types.ConsoleRetryJobDocument,
    "\n  query ConsoleMetrics($from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {\n    requestMetrics(from: $from, to: $to, granularity: $granularity) {\n      points { start requests errors errorRate latencyP50Ms latencyP95Ms }\n      total { requests errors errorRate latencyP95Ms }\n    }\n    anomalies(from: $from, to: $to, first: 50) { id metric windowStart observed expected summary }\n    trainingMetrics(from: $from, to: $to) { jobs succeeded failed cancelled active successRate meanDurationMs durationP95Ms }\n    tenantUsage { datasets datasetVersions models jobs storedBytes quotas { name used reserved limit windowSeconds } }\n  }\n": typeof types.ConsoleMetricsDocument,
    "\n  query ConsoleMetricsModels {\n    models(first: 50) { edges { node { id name } } }\n  }\n": typeof types.ConsoleMetricsModelsDocument,
    "\n  query ConsoleInferenceStats($modelId: ID!, $from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {\n    inferenceStats(modelId: $modelId, from: $from, to: $to, granularity: $granularity) {\n      calls errors rows meanLatencyMs maxLatencyMs meanBatchSize\n      minutes { minute calls errors meanLatencyMs versionNumber }\n    }\n  }\n": typeof types.ConsoleInferenceStatsDocument,
    "\n  query ConsoleModels($first: Int!, $after: String) {\n    models(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt aliases { alias version { number } } latestVersion { id number } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ConsoleModelsDocument,
    "\n  query ConsoleModel($id: ID!) {\n    model(id: $id) {\n      id name description createdAt createdBy\n      serving { batching maxBatchSize maxDelayMs timeoutMs }\n      aliases { alias updatedAt updatedBy version { id number } }\n      versions(first: 10) {\n        edges { node { id number byteSize sha256 createdAt createdBy aliases lineage { datasetVersionId jobId } } }\n      }\n    }\n  }\n": typeof types.ConsoleModelDocument,
    "\n  query ConsoleModelVersion($id: ID!) {\n    modelVersion(id: $id) {\n      id number irVersion producer\n      model { id }\n      opsets { domain version }\n      inputs { name elementType shapeKnown shape { size symbol } }\n      outputs { name elementType shapeKnown shape { size symbol } }\n    }\n  }\n": typeof types.ConsoleModelVersionDocument,
    "\n  query ConsoleLineageDataset($id: ID!) {\n    datasetVersion(id: $id) { id number dataset { id name } }\n  }\n": typeof types.ConsoleLineageDatasetDocument,
    "\n  mutation ConsoleCreateModel($input: CreateModelInput!) {\n    createModel(input: $input) { id name }\n  }\n": typeof types.ConsoleCreateModelDocument,
    "\n  mutation ConsoleCreateModelUpload($input: CreateModelUploadInput!) {\n    createModelUpload(input: $input) { id uploadUrl }\n  }\n": typeof types.ConsoleCreateModelUploadDocument,
    "\n  mutation ConsoleCompleteModelUpload($uploadId: ID!, $idempotencyKey: String) {\n    completeModelUpload(uploadId: $uploadId, idempotencyKey: $idempotencyKey) { id number }\n  }\n": typeof types.ConsoleCompleteModelUploadDocument,
    "\n  mutation ConsoleSetModelAlias($input: SetModelAliasInput!) {\n    setModelAlias(input: $input) { alias version { id number } }\n  }\n": typeof types.ConsoleSetModelAliasDocument,
    "\n  mutation ConsoleRemoveModelAlias($modelId: ID!, $alias: String!) {\n    removeModelAlias(modelId: $modelId, alias: $alias) { alias versionNumber }\n  }\n": typeof types.ConsoleRemoveModelAliasDocument,
    "\n  mutation ConsoleUpdateModelServing($modelId: ID!, $input: ModelServingInput!) {\n    updateModelServing(modelId: $modelId, input: $input) { id serving { batching maxBatchSize maxDelayMs timeoutMs } }\n  }\n": typeof types.ConsoleUpdateModelServingDocument,
    "\n  query ConsolePredict($input: PredictInput!) {\n    predict(input: $input) { batchSize latencyMs modelVersion { number } outputs { name elementType shape data } }\n  }\n": typeof types.ConsolePredictDocument,
    "\n  fragment ConsoleTenantLimits on TenantLimits {\n    maxUploadBytes maxStorageBytes costPerMinute costBurst maxConcurrentOperations maxConcurrentJobs maxQueuedJobs\n    maxJobRunSeconds maxOperationDepth maxOperationAliases maxOperationRootFields maxOperationDirectives maxOperationTokens maxOperationCost\n    maxOpenSubscriptions predictionsPerMinute maxPredictionsInFlight maxQueuedPredictions inferenceProcesses inferenceThreads\n    inferenceProcessMemoryMb maxDatasets maxDatasetVersions maxModels maxModelVersions maxMembers maxServiceAccounts\n    maxApiKeysPerServiceAccount keyRotationDays\n  }\n": typeof types.ConsoleTenantLimitsFragmentDoc,
    "\n  query ConsoleTenants {\n    tenants { id displayName region tier status createdAt overriddenLimits limits { ...ConsoleTenantLimits } }\n  }\n": typeof types.ConsoleTenantsDocument,
    "\n  mutation ConsoleProvisionTenant($input: ProvisionTenantInput!) {\n    provisionTenant(input: $input) { created tenant { id status } }\n  }\n": typeof types.ConsoleProvisionTenantDocument,
    "\n  mutation ConsoleSuspendTenant($id: ID!) {\n    suspendTenant(id: $id) { id status }\n  }\n": typeof types.ConsoleSuspendTenantDocument,
    "\n  mutation ConsoleResumeTenant($id: ID!) {\n    resumeTenant(id: $id) { id status }\n  }\n": typeof types.ConsoleResumeTenantDocument,
    "\n  mutation ConsoleSetTenantLimits($id: ID!, $limits: TenantLimitsInput!) {\n    setTenantLimits(id: $id, limits: $limits) { id overriddenLimits limits { ...ConsoleTenantLimits } }\n  }\n": typeof types.ConsoleSetTenantLimitsDocument,
    "\n  query ConsoleTenantAccessUsage($tenantId: ID!) {\n    members(tenantId: $tenantId) { id }\n    serviceAccounts(tenantId: $tenantId) { id apiKeys { id status } }\n  }\n": typeof types.ConsoleTenantAccessUsageDocument,
};
const documents: Documents = {
    "\n  query ConsoleMe {\n    me { subject tenantId roles }\n  }\n": types.ConsoleMeDocument,
    "\n  query ConsoleAuditEvents($first: Int!, $after: String, $filter: AuditEventFilter) {\n    auditEvents(first: $first, after: $after, filter: $filter) {\n      edges { cursor node { id sequence occurredAt action outcome actorSubject actorRoles targetType targetId requestId recordedBy } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ConsoleAuditEventsDocument,
    "\n  query ConsoleVerifyAuditChain {\n    verifyAuditChain { valid checkedEvents headSequence firstBadSequence reason checkpointsChecked }\n  }\n": types.ConsoleVerifyAuditChainDocument,
    "\n  query ConsoleAuditCheckpoints {\n    auditCheckpoints { sequence headHash keyId signedAt objectKey }\n  }\n": types.ConsoleAuditCheckpointsDocument,
    "\n  mutation ConsoleCreateAuditCheckpoint {\n    createAuditCheckpoint { sequence signedAt }\n  }\n": types.ConsoleCreateAuditCheckpointDocument,
    "\n  mutation ConsoleExportAuditEvents($from: DateTime!, $to: DateTime!) {\n    exportAuditEvents(from: $from, to: $to) { eventCount objectKey proofObjectKey sha256 firstSequence lastSequence }\n  }\n": types.ConsoleExportAuditEventsDocument,
    "\n  query ConsoleAlerts {\n    alerts(first: 50) { id rule status summary observed threshold createdAt acknowledgedAt acknowledgedBy }\n  }\n": types.ConsoleAlertsDocument,
    "\n  subscription ConsoleAlertsLive {\n    alerts { id rule status summary observed threshold createdAt }\n  }\n": types.ConsoleAlertsLiveDocument,
    "\n  mutation ConsoleAcknowledgeAlert($id: ID!) {\n    acknowledgeAlert(id: $id) { id status acknowledgedAt acknowledgedBy }\n  }\n": types.ConsoleAcknowledgeAlertDocument,
    "\n  query ConsoleAlertWebhook {\n    alertWebhook { url createdAt }\n  }\n": types.ConsoleAlertWebhookDocument,
    "\n  mutation ConsoleSetAlertWebhook($url: String!) {\n    setAlertWebhook(url: $url) { url secret createdAt }\n  }\n": types.ConsoleSetAlertWebhookDocument,
    "\n  mutation ConsoleRemoveAlertWebhook {\n    removeAlertWebhook\n  }\n": types.ConsoleRemoveAlertWebhookDocument,
    "\n  query ConsoleDatasets($first: Int!, $after: String) {\n    datasets(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ConsoleDatasetsDocument,
    "\n  query ConsoleDataset($id: ID!) {\n    dataset(id: $id) {\n      id name description createdAt createdBy versionCount\n      versions(first: 20) {\n        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }\n      }\n    }\n  }\n": types.ConsoleDatasetDocument,
    "\n  query ConsoleDatasetVersion($id: ID!) {\n    datasetVersion(id: $id) { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } dataset { id } }\n  }\n": types.ConsoleDatasetVersionDocument,
    "\n  query ConsoleDatasetPreview($id: ID!) {\n    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }\n  }\n": types.ConsoleDatasetPreviewDocument,
    "\n  query ConsoleProfileJobs($datasetVersionId: ID!) {\n    latest: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], datasetVersionId: $datasetVersionId }) {\n      edges { node { id status } }\n    }\n    profiled: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], status: [SUCCEEDED], datasetVersionId: $datasetVersionId }) {\n      edges { node { id createdAt result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }\n    }\n  }\n": types.ConsoleProfileJobsDocument,
    "\n  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) { id name }\n  }\n": types.ConsoleCreateDatasetDocument,
    "\n  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) { id uploadUrl maxBytes }\n  }\n": types.ConsoleCreateDatasetUploadDocument,
    "\n  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {\n    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }\n  }\n": types.ConsoleCompleteDatasetUploadDocument,
    "\n  mutation ConsoleDeleteDataset($id: ID!) {\n    deleteDataset(id: $id) { id deletedVersions }\n  }\n": types.ConsoleDeleteDatasetDocument,
    "\n  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id status }\n  }\n": types.ConsoleSubmitProfileDocument,
    "\n  query ConsoleJobs($first: Int!, $after: String, $filter: JobFilter) {\n    jobs(first: $first, after: $after, filter: $filter) {\n      edges { cursor node { id kind status progress phase createdAt createdBy attempts } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ConsoleJobsDocument,
    "\n  query ConsoleJob($id: ID!) {\n    job(id: $id) {\n      id kind status progress phase attempts cancelRequested createdAt createdBy startedAt finishedAt lossHistory\n      input { datasetVersionId }\n      error { code message }\n      result { modelId modelVersionId modelVersionNumber finalLoss trainingRows predictedRows skippedRows datasetId datasetVersionId }\n    }\n  }\n": types.ConsoleJobDocument,
    "\n  subscription ConsoleJobProgress($jobId: ID!) {\n    jobProgress(jobId: $jobId) { jobId status progress phase occurredAt metrics { name value } error { code message } }\n  }\n": types.ConsoleJobProgressDocument,
    "\n  mutation ConsoleSubmitTraining($input: SubmitTrainingJobInput!) {\n    submitTrainingJob(input: $input) { id }\n  }\n": types.ConsoleSubmitTrainingDocument,
    "\n  mutation ConsoleSubmitBatchInference($input: SubmitBatchInferenceJobInput!) {\n    submitBatchInferenceJob(input: $input) { id }\n  }\n": types.ConsoleSubmitBatchInferenceDocument,
    "\n  mutation ConsoleSubmitProfileJob($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id }\n  }\n": types.ConsoleSubmitProfileJobDocument,
    "\n  mutation ConsoleCancelJob($id: ID!) {\n    cancelJob(id: $id) { id status cancelRequested }\n  }\n": types.ConsoleCancelJobDocument,
    "\n  mutation ConsoleRetryJob($id: ID!) {\n    retryJob(id: $id) { id status }\n  }\n": types.ConsoleRetryJobDocument,
    "\n  query ConsoleMetrics($from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {\n    requestMetrics(from: $from, to: $to, granularity: $granularity) {\n      points { start requests errors errorRate latencyP50Ms latencyP95Ms }\n      total { requests errors errorRate latencyP95Ms }\n    }\n    anomalies(from: $from, to: $to, first: 50) { id metric windowStart observed expected summary }\n    trainingMetrics(from: $from, to: $to) { jobs succeeded failed cancelled active successRate meanDurationMs durationP95Ms }\n    tenantUsage { datasets datasetVersions models jobs storedBytes quotas { name used reserved limit windowSeconds } }\n  }\n": types.ConsoleMetricsDocument,
    "\n  query ConsoleMetricsModels {\n    models(first: 50) { edges { node { id name } } }\n  }\n": types.ConsoleMetricsModelsDocument,
    "\n  query ConsoleInferenceStats($modelId: ID!, $from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {\n    inferenceStats(modelId: $modelId, from: $from, to: $to, granularity: $granularity) {\n      calls errors rows meanLatencyMs maxLatencyMs meanBatchSize\n      minutes { minute calls errors meanLatencyMs versionNumber }\n    }\n  }\n": types.ConsoleInferenceStatsDocument,
    "\n  query ConsoleModels($first: Int!, $after: String) {\n    models(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt aliases { alias version { number } } latestVersion { id number } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ConsoleModelsDocument,
    "\n  query ConsoleModel($id: ID!) {\n    model(id: $id) {\n      id name description createdAt createdBy\n      serving { batching maxBatchSize maxDelayMs timeoutMs }\n      aliases { alias updatedAt updatedBy version { id number } }\n      versions(first: 10) {\n        edges { node { id number byteSize sha256 createdAt createdBy aliases lineage { datasetVersionId jobId } } }\n      }\n    }\n  }\n": types.ConsoleModelDocument,
    "\n  query ConsoleModelVersion($id: ID!) {\n    modelVersion(id: $id) {\n      id number irVersion producer\n      model { id }\n      opsets { domain version }\n      inputs { name elementType shapeKnown shape { size symbol } }\n      outputs { name elementType shapeKnown shape { size symbol } }\n    }\n  }\n": types.ConsoleModelVersionDocument,
    "\n  query ConsoleLineageDataset($id: ID!) {\n    datasetVersion(id: $id) { id number dataset { id name } }\n  }\n": types.ConsoleLineageDatasetDocument,
    "\n  mutation ConsoleCreateModel($input: CreateModelInput!) {\n    createModel(input: $input) { id name }\n  }\n": types.ConsoleCreateModelDocument,
    "\n  mutation ConsoleCreateModelUpload($input: CreateModelUploadInput!) {\n    createModelUpload(input: $input) { id uploadUrl }\n  }\n": types.ConsoleCreateModelUploadDocument,
    "\n  mutation ConsoleCompleteModelUpload($uploadId: ID!, $idempotencyKey: String) {\n    completeModelUpload(uploadId: $uploadId, idempotencyKey: $idempotencyKey) { id number }\n  }\n": types.ConsoleCompleteModelUploadDocument,
    "\n  mutation ConsoleSetModelAlias($input: SetModelAliasInput!) {\n    setModelAlias(input: $input) { alias version { id number } }\n  }\n": types.ConsoleSetModelAliasDocument,
    "\n  mutation ConsoleRemoveModelAlias($modelId: ID!, $alias: String!) {\n    removeModelAlias(modelId: $modelId, alias: $alias) { alias versionNumber }\n  }\n": types.ConsoleRemoveModelAliasDocument,
    "\n  mutation ConsoleUpdateModelServing($modelId: ID!, $input: ModelServingInput!) {\n    updateModelServing(modelId: $modelId, input: $input) { id serving { batching maxBatchSize maxDelayMs timeoutMs } }\n  }\n": types.ConsoleUpdateModelServingDocument,
    "\n  query ConsolePredict($input: PredictInput!) {\n    predict(input: $input) { batchSize latencyMs modelVersion { number } outputs { name elementType shape data } }\n  }\n": types.ConsolePredictDocument,
    "\n  fragment ConsoleTenantLimits on TenantLimits {\n    maxUploadBytes maxStorageBytes costPerMinute costBurst maxConcurrentOperations maxConcurrentJobs maxQueuedJobs\n    maxJobRunSeconds maxOperationDepth maxOperationAliases maxOperationRootFields maxOperationDirectives maxOperationTokens maxOperationCost\n    maxOpenSubscriptions predictionsPerMinute maxPredictionsInFlight maxQueuedPredictions inferenceProcesses inferenceThreads\n    inferenceProcessMemoryMb maxDatasets maxDatasetVersions maxModels maxModelVersions maxMembers maxServiceAccounts\n    maxApiKeysPerServiceAccount keyRotationDays\n  }\n": types.ConsoleTenantLimitsFragmentDoc,
    "\n  query ConsoleTenants {\n    tenants { id displayName region tier status createdAt overriddenLimits limits { ...ConsoleTenantLimits } }\n  }\n": types.ConsoleTenantsDocument,
    "\n  mutation ConsoleProvisionTenant($input: ProvisionTenantInput!) {\n    provisionTenant(input: $input) { created tenant { id status } }\n  }\n": types.ConsoleProvisionTenantDocument,
    "\n  mutation ConsoleSuspendTenant($id: ID!) {\n    suspendTenant(id: $id) { id status }\n  }\n": types.ConsoleSuspendTenantDocument,
    "\n  mutation ConsoleResumeTenant($id: ID!) {\n    resumeTenant(id: $id) { id status }\n  }\n": types.ConsoleResumeTenantDocument,
    "\n  mutation ConsoleSetTenantLimits($id: ID!, $limits: TenantLimitsInput!) {\n    setTenantLimits(id: $id, limits: $limits) { id overriddenLimits limits { ...ConsoleTenantLimits } }\n  }\n": types.ConsoleSetTenantLimitsDocument,
    "\n  query ConsoleTenantAccessUsage($tenantId: ID!) {\n    members(tenantId: $tenantId) { id }\n    serviceAccounts(tenantId: $tenantId) { id apiKeys { id status } }\n  }\n": types.ConsoleTenantAccessUsageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMe {\n    me { subject tenantId roles }\n  }\n"): (typeof documents)["\n  query ConsoleMe {\n    me { subject tenantId roles }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleAuditEvents($first: Int!, $after: String, $filter: AuditEventFilter) {\n    auditEvents(first: $first, after: $after, filter: $filter) {\n      edges { cursor node { id sequence occurredAt action outcome actorSubject actorRoles targetType targetId requestId recordedBy } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleAuditEvents($first: Int!, $after: String, $filter: AuditEventFilter) {\n    auditEvents(first: $first, after: $after, filter: $filter) {\n      edges { cursor node { id sequence occurredAt action outcome actorSubject actorRoles targetType targetId requestId recordedBy } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleVerifyAuditChain {\n    verifyAuditChain { valid checkedEvents headSequence firstBadSequence reason checkpointsChecked }\n  }\n"): (typeof documents)["\n  query ConsoleVerifyAuditChain {\n    verifyAuditChain { valid checkedEvents headSequence firstBadSequence reason checkpointsChecked }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleAuditCheckpoints {\n    auditCheckpoints { sequence headHash keyId signedAt objectKey }\n  }\n"): (typeof documents)["\n  query ConsoleAuditCheckpoints {\n    auditCheckpoints { sequence headHash keyId signedAt objectKey }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateAuditCheckpoint {\n    createAuditCheckpoint { sequence signedAt }\n  }\n"): (typeof documents)["\n  mutation ConsoleCreateAuditCheckpoint {\n    createAuditCheckpoint { sequence signedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleExportAuditEvents($from: DateTime!, $to: DateTime!) {\n    exportAuditEvents(from: $from, to: $to) { eventCount objectKey proofObjectKey sha256 firstSequence lastSequence }\n  }\n"): (typeof documents)["\n  mutation ConsoleExportAuditEvents($from: DateTime!, $to: DateTime!) {\n    exportAuditEvents(from: $from, to: $to) { eventCount objectKey proofObjectKey sha256 firstSequence lastSequence }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleAlerts {\n    alerts(first: 50) { id rule status summary observed threshold createdAt acknowledgedAt acknowledgedBy }\n  }\n"): (typeof documents)["\n  query ConsoleAlerts {\n    alerts(first: 50) { id rule status summary observed threshold createdAt acknowledgedAt acknowledgedBy }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleAlertsLive {\n    alerts { id rule status summary observed threshold createdAt }\n  }\n"): (typeof documents)["\n  subscription ConsoleAlertsLive {\n    alerts { id rule status summary observed threshold createdAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleAcknowledgeAlert($id: ID!) {\n    acknowledgeAlert(id: $id) { id status acknowledgedAt acknowledgedBy }\n  }\n"): (typeof documents)["\n  mutation ConsoleAcknowledgeAlert($id: ID!) {\n    acknowledgeAlert(id: $id) { id status acknowledgedAt acknowledgedBy }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleAlertWebhook {\n    alertWebhook { url createdAt }\n  }\n"): (typeof documents)["\n  query ConsoleAlertWebhook {\n    alertWebhook { url createdAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetAlertWebhook($url: String!) {\n    setAlertWebhook(url: $url) { url secret createdAt }\n  }\n"): (typeof documents)["\n  mutation ConsoleSetAlertWebhook($url: String!) {\n    setAlertWebhook(url: $url) { url secret createdAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleRemoveAlertWebhook {\n    removeAlertWebhook\n  }\n"): (typeof documents)["\n  mutation ConsoleRemoveAlertWebhook {\n    removeAlertWebhook\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDatasets($first: Int!, $after: String) {\n    datasets(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleDatasets($first: Int!, $after: String) {\n    datasets(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDataset($id: ID!) {\n    dataset(id: $id) {\n      id name description createdAt createdBy versionCount\n      versions(first: 20) {\n        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleDataset($id: ID!) {\n    dataset(id: $id) {\n      id name description createdAt createdBy versionCount\n      versions(first: 20) {\n        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDatasetVersion($id: ID!) {\n    datasetVersion(id: $id) { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } dataset { id } }\n  }\n"): (typeof documents)["\n  query ConsoleDatasetVersion($id: ID!) {\n    datasetVersion(id: $id) { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } dataset { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDatasetPreview($id: ID!) {\n    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }\n  }\n"): (typeof documents)["\n  query ConsoleDatasetPreview($id: ID!) {\n    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleProfileJobs($datasetVersionId: ID!) {\n    latest: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], datasetVersionId: $datasetVersionId }) {\n      edges { node { id status } }\n    }\n    profiled: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], status: [SUCCEEDED], datasetVersionId: $datasetVersionId }) {\n      edges { node { id createdAt result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleProfileJobs($datasetVersionId: ID!) {\n    latest: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], datasetVersionId: $datasetVersionId }) {\n      edges { node { id status } }\n    }\n    profiled: jobs(first: 1, order: NEWEST_FIRST, filter: { kind: [PROFILE], status: [SUCCEEDED], datasetVersionId: $datasetVersionId }) {\n      edges { node { id createdAt result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) { id name }\n  }\n"): (typeof documents)["\n  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) { id name }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) { id uploadUrl maxBytes }\n  }\n"): (typeof documents)["\n  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) { id uploadUrl maxBytes }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {\n    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }\n  }\n"): (typeof documents)["\n  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {\n    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleDeleteDataset($id: ID!) {\n    deleteDataset(id: $id) { id deletedVersions }\n  }\n"): (typeof documents)["\n  mutation ConsoleDeleteDataset($id: ID!) {\n    deleteDataset(id: $id) { id deletedVersions }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id status }\n  }\n"): (typeof documents)["\n  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleJobs($first: Int!, $after: String, $filter: JobFilter) {\n    jobs(first: $first, after: $after, filter: $filter) {\n      edges { cursor node { id kind status progress phase createdAt createdBy attempts } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleJobs($first: Int!, $after: String, $filter: JobFilter) {\n    jobs(first: $first, after: $after, filter: $filter) {\n      edges { cursor node { id kind status progress phase createdAt createdBy attempts } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleJob($id: ID!) {\n    job(id: $id) {\n      id kind status progress phase attempts cancelRequested createdAt createdBy startedAt finishedAt lossHistory\n      input { datasetVersionId }\n      error { code message }\n      result { modelId modelVersionId modelVersionNumber finalLoss trainingRows predictedRows skippedRows datasetId datasetVersionId }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleJob($id: ID!) {\n    job(id: $id) {\n      id kind status progress phase attempts cancelRequested createdAt createdBy startedAt finishedAt lossHistory\n      input { datasetVersionId }\n      error { code message }\n      result { modelId modelVersionId modelVersionNumber finalLoss trainingRows predictedRows skippedRows datasetId datasetVersionId }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleJobProgress($jobId: ID!) {\n    jobProgress(jobId: $jobId) { jobId status progress phase occurredAt metrics { name value } error { code message } }\n  }\n"): (typeof documents)["\n  subscription ConsoleJobProgress($jobId: ID!) {\n    jobProgress(jobId: $jobId) { jobId status progress phase occurredAt metrics { name value } error { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSubmitTraining($input: SubmitTrainingJobInput!) {\n    submitTrainingJob(input: $input) { id }\n  }\n"): (typeof documents)["\n  mutation ConsoleSubmitTraining($input: SubmitTrainingJobInput!) {\n    submitTrainingJob(input: $input) { id }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSubmitBatchInference($input: SubmitBatchInferenceJobInput!) {\n    submitBatchInferenceJob(input: $input) { id }\n  }\n"): (typeof documents)["\n  mutation ConsoleSubmitBatchInference($input: SubmitBatchInferenceJobInput!) {\n    submitBatchInferenceJob(input: $input) { id }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSubmitProfileJob($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id }\n  }\n"): (typeof documents)["\n  mutation ConsoleSubmitProfileJob($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCancelJob($id: ID!) {\n    cancelJob(id: $id) { id status cancelRequested }\n  }\n"): (typeof documents)["\n  mutation ConsoleCancelJob($id: ID!) {\n    cancelJob(id: $id) { id status cancelRequested }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleRetryJob($id: ID!) {\n    retryJob(id: $id) { id status }\n  }\n"): (typeof documents)["\n  mutation ConsoleRetryJob($id: ID!) {\n    retryJob(id: $id) { id status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMetrics($from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {\n    requestMetrics(from: $from, to: $to, granularity: $granularity) {\n      points { start requests errors errorRate latencyP50Ms latencyP95Ms }\n      total { requests errors errorRate latencyP95Ms }\n    }\n    anomalies(from: $from, to: $to, first: 50) { id metric windowStart observed expected summary }\n    trainingMetrics(from: $from, to: $to) { jobs succeeded failed cancelled active successRate meanDurationMs durationP95Ms }\n    tenantUsage { datasets datasetVersions models jobs storedBytes quotas { name used reserved limit windowSeconds } }\n  }\n"): (typeof documents)["\n  query ConsoleMetrics($from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {\n    requestMetrics(from: $from, to: $to, granularity: $granularity) {\n      points { start requests errors errorRate latencyP50Ms latencyP95Ms }\n      total { requests errors errorRate latencyP95Ms }\n    }\n    anomalies(from: $from, to: $to, first: 50) { id metric windowStart observed expected summary }\n    trainingMetrics(from: $from, to: $to) { jobs succeeded failed cancelled active successRate meanDurationMs durationP95Ms }\n    tenantUsage { datasets datasetVersions models jobs storedBytes quotas { name used reserved limit windowSeconds } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMetricsModels {\n    models(first: 50) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query ConsoleMetricsModels {\n    models(first: 50) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleInferenceStats($modelId: ID!, $from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {\n    inferenceStats(modelId: $modelId, from: $from, to: $to, granularity: $granularity) {\n      calls errors rows meanLatencyMs maxLatencyMs meanBatchSize\n      minutes { minute calls errors meanLatencyMs versionNumber }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleInferenceStats($modelId: ID!, $from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {\n    inferenceStats(modelId: $modelId, from: $from, to: $to, granularity: $granularity) {\n      calls errors rows meanLatencyMs maxLatencyMs meanBatchSize\n      minutes { minute calls errors meanLatencyMs versionNumber }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleModels($first: Int!, $after: String) {\n    models(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt aliases { alias version { number } } latestVersion { id number } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleModels($first: Int!, $after: String) {\n    models(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt aliases { alias version { number } } latestVersion { id number } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleModel($id: ID!) {\n    model(id: $id) {\n      id name description createdAt createdBy\n      serving { batching maxBatchSize maxDelayMs timeoutMs }\n      aliases { alias updatedAt updatedBy version { id number } }\n      versions(first: 10) {\n        edges { node { id number byteSize sha256 createdAt createdBy aliases lineage { datasetVersionId jobId } } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleModel($id: ID!) {\n    model(id: $id) {\n      id name description createdAt createdBy\n      serving { batching maxBatchSize maxDelayMs timeoutMs }\n      aliases { alias updatedAt updatedBy version { id number } }\n      versions(first: 10) {\n        edges { node { id number byteSize sha256 createdAt createdBy aliases lineage { datasetVersionId jobId } } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleModelVersion($id: ID!) {\n    modelVersion(id: $id) {\n      id number irVersion producer\n      model { id }\n      opsets { domain version }\n      inputs { name elementType shapeKnown shape { size symbol } }\n      outputs { name elementType shapeKnown shape { size symbol } }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleModelVersion($id: ID!) {\n    modelVersion(id: $id) {\n      id number irVersion producer\n      model { id }\n      opsets { domain version }\n      inputs { name elementType shapeKnown shape { size symbol } }\n      outputs { name elementType shapeKnown shape { size symbol } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleLineageDataset($id: ID!) {\n    datasetVersion(id: $id) { id number dataset { id name } }\n  }\n"): (typeof documents)["\n  query ConsoleLineageDataset($id: ID!) {\n    datasetVersion(id: $id) { id number dataset { id name } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateModel($input: CreateModelInput!) {\n    createModel(input: $input) { id name }\n  }\n"): (typeof documents)["\n  mutation ConsoleCreateModel($input: CreateModelInput!) {\n    createModel(input: $input) { id name }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateModelUpload($input: CreateModelUploadInput!) {\n    createModelUpload(input: $input) { id uploadUrl }\n  }\n"): (typeof documents)["\n  mutation ConsoleCreateModelUpload($input: CreateModelUploadInput!) {\n    createModelUpload(input: $input) { id uploadUrl }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCompleteModelUpload($uploadId: ID!, $idempotencyKey: String) {\n    completeModelUpload(uploadId: $uploadId, idempotencyKey: $idempotencyKey) { id number }\n  }\n"): (typeof documents)["\n  mutation ConsoleCompleteModelUpload($uploadId: ID!, $idempotencyKey: String) {\n    completeModelUpload(uploadId: $uploadId, idempotencyKey: $idempotencyKey) { id number }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetModelAlias($input: SetModelAliasInput!) {\n    setModelAlias(input: $input) { alias version { id number } }\n  }\n"): (typeof documents)["\n  mutation ConsoleSetModelAlias($input: SetModelAliasInput!) {\n    setModelAlias(input: $input) { alias version { id number } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleRemoveModelAlias($modelId: ID!, $alias: String!) {\n    removeModelAlias(modelId: $modelId, alias: $alias) { alias versionNumber }\n  }\n"): (typeof documents)["\n  mutation ConsoleRemoveModelAlias($modelId: ID!, $alias: String!) {\n    removeModelAlias(modelId: $modelId, alias: $alias) { alias versionNumber }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUpdateModelServing($modelId: ID!, $input: ModelServingInput!) {\n    updateModelServing(modelId: $modelId, input: $input) { id serving { batching maxBatchSize maxDelayMs timeoutMs } }\n  }\n"): (typeof documents)["\n  mutation ConsoleUpdateModelServing($modelId: ID!, $input: ModelServingInput!) {\n    updateModelServing(modelId: $modelId, input: $input) { id serving { batching maxBatchSize maxDelayMs timeoutMs } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePredict($input: PredictInput!) {\n    predict(input: $input) { batchSize latencyMs modelVersion { number } outputs { name elementType shape data } }\n  }\n"): (typeof documents)["\n  query ConsolePredict($input: PredictInput!) {\n    predict(input: $input) { batchSize latencyMs modelVersion { number } outputs { name elementType shape data } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleTenantLimits on TenantLimits {\n    maxUploadBytes maxStorageBytes costPerMinute costBurst maxConcurrentOperations maxConcurrentJobs maxQueuedJobs\n    maxJobRunSeconds maxOperationDepth maxOperationAliases maxOperationRootFields maxOperationDirectives maxOperationTokens maxOperationCost\n    maxOpenSubscriptions predictionsPerMinute maxPredictionsInFlight maxQueuedPredictions inferenceProcesses inferenceThreads\n    inferenceProcessMemoryMb maxDatasets maxDatasetVersions maxModels maxModelVersions maxMembers maxServiceAccounts\n    maxApiKeysPerServiceAccount keyRotationDays\n  }\n"): (typeof documents)["\n  fragment ConsoleTenantLimits on TenantLimits {\n    maxUploadBytes maxStorageBytes costPerMinute costBurst maxConcurrentOperations maxConcurrentJobs maxQueuedJobs\n    maxJobRunSeconds maxOperationDepth maxOperationAliases maxOperationRootFields maxOperationDirectives maxOperationTokens maxOperationCost\n    maxOpenSubscriptions predictionsPerMinute maxPredictionsInFlight maxQueuedPredictions inferenceProcesses inferenceThreads\n    inferenceProcessMemoryMb maxDatasets maxDatasetVersions maxModels maxModelVersions maxMembers maxServiceAccounts\n    maxApiKeysPerServiceAccount keyRotationDays\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleTenants {\n    tenants { id displayName region tier status createdAt overriddenLimits limits { ...ConsoleTenantLimits } }\n  }\n"): (typeof documents)["\n  query ConsoleTenants {\n    tenants { id displayName region tier status createdAt overriddenLimits limits { ...ConsoleTenantLimits } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleProvisionTenant($input: ProvisionTenantInput!) {\n    provisionTenant(input: $input) { created tenant { id status } }\n  }\n"): (typeof documents)["\n  mutation ConsoleProvisionTenant($input: ProvisionTenantInput!) {\n    provisionTenant(input: $input) { created tenant { id status } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSuspendTenant($id: ID!) {\n    suspendTenant(id: $id) { id status }\n  }\n"): (typeof documents)["\n  mutation ConsoleSuspendTenant($id: ID!) {\n    suspendTenant(id: $id) { id status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleResumeTenant($id: ID!) {\n    resumeTenant(id: $id) { id status }\n  }\n"): (typeof documents)["\n  mutation ConsoleResumeTenant($id: ID!) {\n    resumeTenant(id: $id) { id status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetTenantLimits($id: ID!, $limits: TenantLimitsInput!) {\n    setTenantLimits(id: $id, limits: $limits) { id overriddenLimits limits { ...ConsoleTenantLimits } }\n  }\n"): (typeof documents)["\n  mutation ConsoleSetTenantLimits($id: ID!, $limits: TenantLimitsInput!) {\n    setTenantLimits(id: $id, limits: $limits) { id overriddenLimits limits { ...ConsoleTenantLimits } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleTenantAccessUsage($tenantId: ID!) {\n    members(tenantId: $tenantId) { id }\n    serviceAccounts(tenantId: $tenantId) { id apiKeys { id status } }\n  }\n"): (typeof documents)["\n  query ConsoleTenantAccessUsage($tenantId: ID!) {\n    members(tenantId: $tenantId) { id }\n    serviceAccounts(tenantId: $tenantId) { id apiKeys { id status } }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;
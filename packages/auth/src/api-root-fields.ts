/**
 * Every root field (query, mutation, subscription) of the public API, the names an API key's
 * `operations` may list. The tenants service that creates keys does not hold the supergraph, so the
 * list lives here; `packages/auth/test/api-root-fields.test.ts` fails when it differs from the
 * composed API schema (console/schema.graphql, itself checked against the subgraphs' SDL).
 */
export const apiRootFields: ReadonlySet<string> = new Set([
  'accessReport', 'accessReview', 'accessReviewSchedule', 'accessReviews', 'acknowledgeAlert', 'alertRules',
  'alertWebhook', 'alerts', 'anomalies', 'auditCheckpoints', 'auditEvents', 'auditSigningKeys', 'cancelJob',
  'cancelTenantErasure', 'changeMemberRole', 'completeDatasetUpload', 'completeModelUpload', 'createApiKey',
  'createAuditCheckpoint', 'createDataset', 'createDatasetUpload', 'createModel', 'createModelUpload',
  'createServiceAccount', 'currentTenant', 'dataset', 'datasetKey', 'datasetVersion', 'datasets',
  'deleteDataset', 'deleteModel', 'deleteModelVersion', 'deleteServiceAccount',
  'destroyKeyEncryptionKeyVersion', 'exportAuditEvents', 'inferenceStats', 'inviteMember', 'job',
  'jobEvents', 'jobProgress', 'jobs', 'keyEncryptionKeyStatus', 'keyOperation', 'me', 'members',
  'migrateTenantRegion', 'model', 'modelByName', 'modelKey', 'modelVersion', 'models', 'platformUsage',
  'predict', 'provisionTenant', 'reencryptTenantObjects', 'removeAlertWebhook', 'removeMember',
  'removeModelAlias', 'removeUsageBudget', 'requestMetrics', 'requestTenantErasure', 'resendInvitation',
  'resumeTenant', 'retireDatasetKeyVersion', 'retireKeyEncryptionKeyVersion', 'retireModelKeyVersion',
  'retireTenantKeyVersion', 'retryJob', 'revokeApiKey', 'revokeInvitation', 'rewrapDataKeys',
  'rotateDatasetKey', 'rotateKeyEncryptionKey', 'rotateModelKey', 'rotateTenantKey', 'runAccessReview',
  'serviceAccounts', 'setAccessReviewSchedule', 'setAlertRule', 'setAlertWebhook', 'setModelAlias',
  'setTenantLimits', 'setTenantTier', 'setUsageBudget', 'submitBatchInferenceJob', 'submitProfileJob',
  'submitTrainingJob', 'suspendTenant', 'tenant', 'tenantDataKeys', 'tenantErasure', 'tenantUsage',
  'tenants', 'trainingMetrics', 'updateModelServing', 'usageBudgets', 'usageReport', 'verifyAuditChain',
  'verifyErasureReceipt', 'verifySecurityLog',
]);

import { graphql } from '../../generated';

export const AuditEventsQuery = graphql(`
  query ConsoleAuditEvents($first: Int!, $after: String, $filter: AuditEventFilter) {
    auditEvents(first: $first, after: $after, filter: $filter) {
      edges { cursor node { id sequence occurredAt action outcome actorSubject actorRoles targetType targetId requestId recordedBy } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const VerifyChainQuery = graphql(`
  query ConsoleVerifyAuditChain {
    verifyAuditChain { valid checkedEvents headSequence firstBadSequence reason checkpointsChecked }
  }
`);

export const CheckpointsQuery = graphql(`
  query ConsoleAuditCheckpoints {
    auditCheckpoints { sequence headHash keyId signedAt objectKey }
  }
`);

export const CreateCheckpointMutation = graphql(`
  mutation ConsoleCreateAuditCheckpoint {
    createAuditCheckpoint { sequence signedAt }
  }
`);

export const ExportMutation = graphql(`
  mutation ConsoleExportAuditEvents($from: DateTime!, $to: DateTime!) {
    exportAuditEvents(from: $from, to: $to) { eventCount objectKey proofObjectKey sha256 firstSequence lastSequence }
  }
`);

export const AlertsQuery = graphql(`
  query ConsoleAlerts {
    alerts(first: 50) { id rule status summary observed threshold createdAt acknowledgedAt acknowledgedBy }
  }
`);

export const AlertsSubscription = graphql(`
  subscription ConsoleAlertsLive {
    alerts { id rule status summary observed threshold createdAt }
  }
`);

export const AcknowledgeMutation = graphql(`
  mutation ConsoleAcknowledgeAlert($id: ID!) {
    acknowledgeAlert(id: $id) { id status acknowledgedAt acknowledgedBy }
  }
`);

export const WebhookQuery = graphql(`
  query ConsoleAlertWebhook {
    alertWebhook { url createdAt }
  }
`);

export const SetWebhookMutation = graphql(`
  mutation ConsoleSetAlertWebhook($url: String!) {
    setAlertWebhook(url: $url) { url secret createdAt }
  }
`);

export const RemoveWebhookMutation = graphql(`
  mutation ConsoleRemoveAlertWebhook {
    removeAlertWebhook
  }
`);

export interface AlertingConfig {
  /** How often every active tenant's new audit events are evaluated and due webhooks sent. */
  evaluationIntervalMs: number;
  /** Delay before the 2nd attempt; each later one doubles it (1 s, 2 s, 4 s, …). */
  webhookBackoffBaseMs: number;
  /** Attempts before a delivery is given up (FAILED). */
  webhookMaxAttempts: number;
  webhookTimeoutMs: number;
}

export const defaultAlertingConfig: AlertingConfig = {
  evaluationIntervalMs: 5_000,
  webhookBackoffBaseMs: 1_000,
  webhookMaxAttempts: 8,
  webhookTimeoutMs: 10_000,
};

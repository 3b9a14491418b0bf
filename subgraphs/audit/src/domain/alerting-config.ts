export interface AlertingConfig {
  /**
   * How often the tenants with work are evaluated and their due webhooks sent: those whose chain
   * this process grew, and those whose deliveries this process knows to be due.
   */
  evaluationIntervalMs: number;
  /**
   * How often every active tenant is asked whether it has work (events chained by another process
   * or replica, deliveries written elsewhere): the longest such work waits for a pass.
   */
  fullSweepIntervalMs: number;
  /** Delay before the 2nd attempt; each later one doubles it (1 s, 2 s, 4 s, …). */
  webhookBackoffBaseMs: number;
  /** Attempts before a delivery is given up (FAILED). */
  webhookMaxAttempts: number;
  webhookTimeoutMs: number;
}

export const defaultAlertingConfig: AlertingConfig = {
  evaluationIntervalMs: 5_000,
  fullSweepIntervalMs: 60_000,
  webhookBackoffBaseMs: 1_000,
  webhookMaxAttempts: 8,
  webhookTimeoutMs: 10_000,
};

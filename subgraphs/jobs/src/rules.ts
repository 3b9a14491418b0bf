import { allow, can, type RuleTree } from '@tessera/auth';

/**
 * Who may do what with jobs: every tenant role reads; data scientists and admins submit, cancel and
 * retry. Object fields are reachable only through an authorized root field, so they are open.
 */
export const jobRules: RuleTree = {
  Query: { jobs: can.read, job: can.read },
  Mutation: {
    submitTrainingJob: can.write,
    submitBatchInferenceJob: can.write,
    submitProfileJob: can.write,
    cancelJob: can.write,
    retryJob: can.write,
  },
  Job: allow,
  JobInput: allow,
  HyperParameters: allow,
  JobResult: allow,
  DatasetProfile: allow,
  ColumnStatistics: allow,
  ValueCount: allow,
  JobError: allow,
  JobConnection: allow,
  JobEdge: allow,
  PageInfo: allow,
  // Subscriptions: any role that may read jobs may watch them (viewer included).
  Subscription: { jobProgress: can.read, jobEvents: can.read },
  JobEvent: allow,
  JobMetric: allow,
  JobEventError: allow,
};

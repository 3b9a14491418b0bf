import { allow, can, type RuleTree } from '@tessera/auth';

export const jobRules: RuleTree = {
  Query: { jobs: can.read, job: can.read },
  Job: allow,
  JobConnection: allow,
  JobEdge: allow,
  PageInfo: allow,
};

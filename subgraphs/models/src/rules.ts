import { allow, can, type RuleTree } from '@tessera/auth';

export const modelRules: RuleTree = {
  Query: { models: can.read, model: can.read },
  Model: allow,
  ModelConnection: allow,
  ModelEdge: allow,
  PageInfo: allow,
};

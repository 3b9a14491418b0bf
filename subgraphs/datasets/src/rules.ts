import { allow, can, type RuleTree } from '@tessera/auth';

/**
 * Who may do what in this subgraph. Root fields carry the role checks; object fields are
 * reachable only through an authorized root field, so they are open once reached.
 */
export const datasetRules: RuleTree = {
  Query: {
    datasets: can.read,
    dataset: can.read,
    datasetVersion: can.read,
  },
  Mutation: {
    createDataset: can.write,
    deleteDataset: can.administer,
    createDatasetUpload: can.write,
    completeDatasetUpload: can.write,
  },
  Dataset: allow,
  DatasetVersion: allow,
  DatasetColumn: allow,
  DatasetPreview: allow,
  DatasetUpload: allow,
  DeleteDatasetPayload: allow,
  DatasetConnection: allow,
  DatasetEdge: allow,
  DatasetVersionConnection: allow,
  DatasetVersionEdge: allow,
  PageInfo: allow,
};

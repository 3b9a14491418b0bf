import { allow, can, type RuleTree } from '@tessera/auth';

/**
 * Who may do what in this subgraph. Root fields carry the role checks; object fields are
 * reachable only through an authorized root field, so they are open once reached — except the
 * contents: metadata is `inspect` (auditors too), a version's rows (`preview`) need `read`.
 */
export const datasetRules: RuleTree = {
  Query: {
    datasets: can.inspect,
    dataset: can.inspect,
    datasetVersion: can.inspect,
  },
  Mutation: {
    createDataset: can.write,
    deleteDataset: can.administer,
    createDatasetUpload: can.write,
    completeDatasetUpload: can.write,
  },
  Dataset: allow,
  DatasetVersion: { '*': allow, preview: can.read },
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

import { allow, can, type RuleTree } from '@tessera/auth';

/**
 * Who may do what in this subgraph. Root fields carry the role checks (and every provider method
 * asserts the same permission again); object fields are reachable only through an authorized
 * root field, so they are open once reached.
 * - inspect (viewer, auditor and up): list/get models and versions (metadata, signatures);
 * - read (viewer and up): predict, and a version's download URL;
 * - write (data_scientist and up): create models, upload versions, move aliases, serving config,
 *   download files (HTTP route, asserted in the provider);
 * - administer (admin): delete a version or a model.
 */
export const modelRules: RuleTree = {
  Query: {
    models: can.inspect,
    model: can.inspect,
    modelByName: can.inspect,
    modelVersion: can.inspect,
    predict: can.read,
  },
  Mutation: {
    createModel: can.write,
    deleteModel: can.administer,
    createModelUpload: can.write,
    completeModelUpload: can.write,
    setModelAlias: can.write,
    removeModelAlias: can.write,
    deleteModelVersion: can.administer,
    updateModelServing: can.write,
  },
  Model: allow,
  ModelVersion: { '*': allow, downloadUrl: can.read },
  Opset: allow,
  TensorSignature: allow,
  Dim: allow,
  ModelLineage: allow,
  ModelAlias: allow,
  ModelServing: allow,
  Prediction: allow,
  TensorOutput: allow,
  ModelUpload: allow,
  DeleteModelPayload: allow,
  DeleteModelVersionPayload: allow,
  RemoveModelAliasPayload: allow,
  ModelConnection: allow,
  ModelEdge: allow,
  ModelVersionConnection: allow,
  ModelVersionEdge: allow,
  PageInfo: allow,
};

/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query ConsoleDatasets($first: Int!, $after: String) {\n    datasets(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ConsoleDatasetsDocument,
    "\n  query ConsoleDataset($id: ID!) {\n    dataset(id: $id) {\n      id name description createdAt createdBy versionCount\n      versions(first: 50) {\n        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }\n      }\n    }\n  }\n": typeof types.ConsoleDatasetDocument,
    "\n  query ConsoleDatasetPreview($id: ID!) {\n    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }\n  }\n": typeof types.ConsoleDatasetPreviewDocument,
    "\n  query ConsoleProfileJobs {\n    jobs(first: 50, filter: { kind: [PROFILE] }) {\n      edges { node { id status createdAt input { datasetVersionId } result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }\n    }\n  }\n": typeof types.ConsoleProfileJobsDocument,
    "\n  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) { id name }\n  }\n": typeof types.ConsoleCreateDatasetDocument,
    "\n  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) { id uploadUrl maxBytes }\n  }\n": typeof types.ConsoleCreateDatasetUploadDocument,
    "\n  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {\n    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }\n  }\n": typeof types.ConsoleCompleteDatasetUploadDocument,
    "\n  mutation ConsoleDeleteDataset($id: ID!) {\n    deleteDataset(id: $id) { id deletedVersions }\n  }\n": typeof types.ConsoleDeleteDatasetDocument,
    "\n  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id status }\n  }\n": typeof types.ConsoleSubmitProfileDocument,
};
const documents: Documents = {
    "\n  query ConsoleDatasets($first: Int!, $after: String) {\n    datasets(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ConsoleDatasetsDocument,
    "\n  query ConsoleDataset($id: ID!) {\n    dataset(id: $id) {\n      id name description createdAt createdBy versionCount\n      versions(first: 50) {\n        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }\n      }\n    }\n  }\n": types.ConsoleDatasetDocument,
    "\n  query ConsoleDatasetPreview($id: ID!) {\n    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }\n  }\n": types.ConsoleDatasetPreviewDocument,
    "\n  query ConsoleProfileJobs {\n    jobs(first: 50, filter: { kind: [PROFILE] }) {\n      edges { node { id status createdAt input { datasetVersionId } result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }\n    }\n  }\n": types.ConsoleProfileJobsDocument,
    "\n  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) { id name }\n  }\n": types.ConsoleCreateDatasetDocument,
    "\n  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) { id uploadUrl maxBytes }\n  }\n": types.ConsoleCreateDatasetUploadDocument,
    "\n  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {\n    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }\n  }\n": types.ConsoleCompleteDatasetUploadDocument,
    "\n  mutation ConsoleDeleteDataset($id: ID!) {\n    deleteDataset(id: $id) { id deletedVersions }\n  }\n": types.ConsoleDeleteDatasetDocument,
    "\n  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id status }\n  }\n": types.ConsoleSubmitProfileDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDatasets($first: Int!, $after: String) {\n    datasets(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleDatasets($first: Int!, $after: String) {\n    datasets(first: $first, after: $after) {\n      edges { cursor node { id name description versionCount createdAt latestVersion { id number rowCount byteSize } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDataset($id: ID!) {\n    dataset(id: $id) {\n      id name description createdAt createdBy versionCount\n      versions(first: 50) {\n        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleDataset($id: ID!) {\n    dataset(id: $id) {\n      id name description createdAt createdBy versionCount\n      versions(first: 50) {\n        edges { node { id number rowCount byteSize sha256 createdAt createdBy columns { name type nullable nullCount } } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDatasetPreview($id: ID!) {\n    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }\n  }\n"): (typeof documents)["\n  query ConsoleDatasetPreview($id: ID!) {\n    datasetVersion(id: $id) { id preview(limit: 20) { columns rows } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleProfileJobs {\n    jobs(first: 50, filter: { kind: [PROFILE] }) {\n      edges { node { id status createdAt input { datasetVersionId } result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleProfileJobs {\n    jobs(first: 50, filter: { kind: [PROFILE] }) {\n      edges { node { id status createdAt input { datasetVersionId } result { profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate } } } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) { id name }\n  }\n"): (typeof documents)["\n  mutation ConsoleCreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) { id name }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) { id uploadUrl maxBytes }\n  }\n"): (typeof documents)["\n  mutation ConsoleCreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) { id uploadUrl maxBytes }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {\n    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }\n  }\n"): (typeof documents)["\n  mutation ConsoleCompleteDatasetUpload($uploadId: ID!) {\n    completeDatasetUpload(uploadId: $uploadId) { id number rowCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleDeleteDataset($id: ID!) {\n    deleteDataset(id: $id) { id deletedVersions }\n  }\n"): (typeof documents)["\n  mutation ConsoleDeleteDataset($id: ID!) {\n    deleteDataset(id: $id) { id deletedVersions }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id status }\n  }\n"): (typeof documents)["\n  mutation ConsoleSubmitProfile($input: SubmitProfileJobInput!) {\n    submitProfileJob(input: $input) { id status }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;
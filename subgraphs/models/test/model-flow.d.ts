import type { TestStack, TestTenant } from '@tessera/testing';
export declare const createModel = "mutation($input: CreateModelInput!) { createModel(input: $input) { id name } }";
export declare const createUpload = "mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl method declaredBytes expiresAt status } }";
export declare const completeUpload = "mutation($id: ID!, $key: String) { completeModelUpload(uploadId: $id, idempotencyKey: $key) { id number sha256 byteSize } }";
export declare const setAlias = "mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { alias version { id number } updatedBy } }";
export declare const removeAlias = "mutation($modelId: ID!, $alias: String!) { removeModelAlias(modelId: $modelId, alias: $alias) { modelId alias versionNumber } }";
export declare const deleteVersion = "mutation($id: ID!) { deleteModelVersion(id: $id) { id modelId number } }";
export declare const deleteModel = "mutation($id: ID!) { deleteModel(id: $id) { id deletedVersions deletedObjects } }";
export declare const predictQuery = "query($input: PredictInput!) { predict(input: $input) { outputs { name elementType shape data } modelVersion { id number } batchSize } }";
/**
 * Every table of the model registry: "nothing changed" covers all of them and the bucket. (The
 * audit trail is checked on its own: the relay moves events between two tables at any moment,
 * and denials may be audited by design.)
 */
export declare const modelTables: readonly ["models", "model_versions", "model_aliases", "model_uploads", "inference_stats", "datasets", "jobs"];
export declare const modelState: (stack: TestStack, tenant: TestTenant) => Promise<import("@tessera/testing").TenantState>;
export interface PutResult {
    status: number;
    body: {
        data?: Record<string, unknown>;
        errors?: Array<{
            message: string;
            extensions: {
                code: string;
                reason?: string;
            };
        }>;
    };
}
/** PUTs bytes to an upload URL through the gateway, as a client would. */
export declare function putBytes(url: string, token: string | undefined, body: Uint8Array): Promise<PutResult>;
export declare function newModel(stack: TestStack, token: string, name: string): Promise<string>;
export declare function reserveUpload(stack: TestStack, token: string, modelId: string, byteSize: number): Promise<{
    id: string;
    uploadUrl: string;
}>;
export interface UploadedVersion {
    id: string;
    number: number;
    sha256: string;
    byteSize: number;
}
/** The whole staged-upload flow; returns the new version. */
export declare function uploadVersion(stack: TestStack, token: string, modelId: string, onnx: Uint8Array): Promise<UploadedVersion>;
export interface PredictOutput {
    name: string;
    elementType: string;
    shape: number[];
    data: Array<number | null>;
}
export interface PredictionResult {
    predict: {
        outputs: PredictOutput[];
        modelVersion: {
            id: string;
            number: number;
        };
        batchSize: number;
    };
}
export declare function predict(stack: TestStack, token: string, input: Record<string, unknown>): Promise<import("@tessera/testing").GraphQLResponse<PredictionResult>>;
/** Rows of features → one `input` tensor of shape [rows, features]. */
export declare function rowsInput(rows: number[][], name?: string): {
    name: string;
    shape: number[];
    data: number[];
};
export declare const linearSpec: {
    weights: number[];
    bias: number;
};
export declare const linearModel: () => Uint8Array<ArrayBufferLike>;
export declare const logisticModel: () => Uint8Array<ArrayBufferLike>;
/** A 3 → 4 (relu) → 2 (none) MLP with small fixed weights. */
export declare const mlpSpec: {
    layers: ({
        weights: number[][];
        bias: number[];
        activation: "relu";
    } | {
        weights: number[][];
        bias: number[];
        activation: "none";
    })[];
};
export declare const mlpModel: () => Uint8Array<ArrayBufferLike>;
/** The MLP computed by hand (float64; onnxruntime works in float32, compare with toBeCloseTo). */
export declare function mlpByHand(row: number[]): number[];
export declare const linearByHand: (row: number[]) => number;
export declare const logisticByHand: (row: number[]) => number;
export interface AuditRow {
    action: string;
    targetId: string | null;
    actorSubject: string;
    details: Record<string, unknown>;
}
/**
 * The tenant's audit trail in write order: events already chained (audit_events) and those the
 * relay has not moved yet (audit_outbox), read in one statement so a relay run cannot hide or
 * double one.
 */
export declare function auditTrail(stack: TestStack, tenant: TestTenant): Promise<AuditRow[]>;

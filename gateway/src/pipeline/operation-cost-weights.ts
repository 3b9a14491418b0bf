/**
 * What one field costs before what is selected under it (see operation-analysis.ts). Every field
 * costs at least 1, so the cost also bounds how many fields the query planner and the subgraphs
 * see once fragments are expanded. The expensive entry points cost what they make the platform do:
 * a prediction runs a model, a preview decrypts and parses objects, a job occupies a worker, a chain
 * verification or an export reads a tenant's whole audit trail.
 */
const weights: Readonly<Record<string, number>> = {
  'Query.predict': 50,
  'Query.accessReport': 50,
  'Query.verifyAuditChain': 100,
  'Query.verifySecurityLog': 100,
  'Query.__schema': 10,
  'Query.__type': 2,
  'DatasetVersion.preview': 20,
  'ModelVersion.downloadUrl': 20,
  'Mutation.submitTrainingJob': 50,
  'Mutation.submitBatchInferenceJob': 50,
  'Mutation.submitProfileJob': 50,
  'Mutation.retryJob': 50,
  'Mutation.exportAuditEvents': 100,
  'Mutation.provisionTenant': 100,
};

/** A mutation writes, audits and often stores: ten times a read. */
const mutationWeight = 10;

export function fieldWeight(parentType: string | undefined, field: string): number {
  const key = `${parentType ?? ''}.${field}`;
  return weights[key] ?? (parentType === 'Mutation' ? mutationWeight : 1);
}

/** Arguments that say how many items a list field returns. */
export const listSizeArguments: ReadonlySet<string> = new Set(['first', 'last', 'limit']);

/** Items assumed for a list that no argument sizes (the platform's usual page size is 20). */
export const unsizedListSize = 10;

/** The weight of routes outside GraphQL, in the same units (they count against the same budget). */
export const routeCosts = { upload: 50, download: 20, subscribe: 10, predict: predictRouteCost() } as const;

/**
 * POST /v1/predict costs what the `predict` query giving the same answer costs —
 * `predict { outputs { name elementType shape dataBase64 } modelVersion { id number model { id } } batchSize latencyMs }`,
 * outputs being an unsized list — so moving predictions off GraphQL saves no budget.
 */
function predictRouteCost(): number {
  const outputs = 1 + unsizedListSize * 4;
  const modelVersion = 1 + 2 + (1 + 1);
  return fieldWeight('Query', 'predict') + outputs + modelVersion + 2;
}

/**
 * What a document refused before it runs (over a limit, malformed, naming no runnable operation)
 * costs: a flat fee plus one unit per KiB scanned. The gateway's work to refuse it is small, but a
 * client that resends it in a loop would turn that small work into a core's worth; the fee empties
 * its bucket after a few dozen, and from then on it is refused on its headers alone. Scanned is
 * the document or, when longer, the whole request (`bytes`: its variables were parsed too).
 */
export function refusedDocumentCost(query: string, bytes = 0): number {
  return refusedDocumentFee + Math.ceil(Math.max(query.length, bytes) / 1024);
}

const refusedDocumentFee = 100;

/** A request body refused before it names an operation (not JSON, a batch, a non-string query): the same fee and its length, parsed for nothing. */
export function refusedBodyCost(bytes: number): number {
  return refusedDocumentFee + Math.ceil(bytes / 1024);
}

/**
 * What an admitted document's length adds to its cost: one unit per KiB past the first. A string
 * argument of 900 KB is one token and a few cost units, yet the gateway lexes, parses, validates
 * and plans every byte (~50 ms here): unpaid, four of them at a time slowed every other tenant 60×.
 */
export function documentSizeCost(kib: number): number {
  return Math.max(0, kib - 1);
}

/**
 * What one message on an authenticated WebSocket costs, before graphql-ws parses it: at least one
 * unit (each is parsed and dispatched on the event loop every tenant shares, like an HTTP request,
 * which pays at least one too), or its length as for a document (one unit per KiB past the first)
 * when that is more.
 */
export function socketMessageCost(bytes: number): number {
  return Math.max(1, documentSizeCost(Math.ceil(bytes / 1024)));
}

/**
 * What an admitted request's answer adds, once it is sent: one unit per KiB past the first, as
 * for a document. Its size is not known in advance — a `predict` of one value per row answers up
 * to 262 144 values, ~0.5–5 MB as numbers, which the subgraph serialises and the gateway parses
 * and sends, all on event loops every tenant shares. Unpaid, such a call cost 98 units like a
 * one-row prediction, and four at a time took another tenant's predictions from ~15 ms to 0.5–0.9 s.
 */
export function answerSizeCost(bytes: number): number {
  return documentSizeCost(Math.ceil(bytes / 1024));
}

/**
 * What the values in a request's JSON (its variables above all, but also its extensions and any key
 * the gateway ignores: all are parsed) add to its cost: one unit per 32 values past the first 1 024
 * (each list element, object field and scalar counts one; see variable-values.ts). 400 000 nested
 * lists under an ignored key cost one unit and most of a second of the gateway's event loop to
 * parse. The document's text is paid for by its length, yet a variable is one token
 * however much it holds: 200 000 floats in a 1 MiB body cost 50 units as a `predict`, and the
 * gateway parses, walks and coerces every one of them through graphql-js (and the subgraph again),
 * about 2 µs each — four at a time held the event loop most of every second. At 32 a unit, a
 * tenant's rate (1 000 units a second) buys some 32 000 values a second. `dataBase64` carries a
 * tensor as one string (one value).
 */
export function variableValuesCost(values: number): number {
  return Math.max(0, Math.ceil((values - freeVariableValues) / variableValuesPerCostUnit));
}

const freeVariableValues = 1024;
const variableValuesPerCostUnit = 32;

import { buildSchema } from 'graphql';
import { defaultTenantLimits, type TenantLimits } from '@tessera/tenancy';
import { BoundedLru } from '../src/prepared/bounded-lru';
import { PersistedDocuments, readTrustedDocuments, sha256Hex } from '../src/prepared/persisted-documents';
import { PreparedOperations } from '../src/prepared/prepared-operations';
import { singleFetchRouteOf } from '../src/prepared/single-fetch';
import { parseOperation } from '../src/pipeline/operation-analysis';
import { operationFromBody } from '../src/pipeline/operation-request';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const schema = buildSchema(`
  type Query { datasets(first: Int = 20): DatasetConnection! node(id: ID!): Node thing: Thing }
  type DatasetConnection { edges: [DatasetEdge!]! }
  type DatasetEdge { node: Dataset! }
  interface Node { id: ID! }
  type Dataset implements Node { id: ID! name: String! }
  union Thing = Dataset
`);

const limits: TenantLimits = { ...defaultTenantLimits };
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('BoundedLru', () => {
  it('holds at most its entries and its size, least recently used evicted first', () => {
    const lru = new BoundedLru<string, number>(3, 10);
    lru.set('a', 1, 4);
    lru.set('b', 2, 4);
    lru.get('a');
    lru.set('c', 3, 4); // 12 > 10: b (least recently used) goes
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.totalSize]).toEqual([1, undefined, 3, 8]);
    lru.set('huge', 4, 11);
    expect(lru.get('huge')).toBeUndefined();
    for (const key of ['d', 'e', 'f']) lru.set(key, 0, 1);
    expect(lru.size).toBe(3);
  });
});

describe('persisted documents', () => {
  const text = '{ datasets(first: 2) { edges { node { id } } } }';
  const hash = sha256Hex(text);
  const incoming = (body: unknown) => operationFromBody(body);

  it('registers a text under its SHA-256 for the tenant that sent it, and only for that tenant', () => {
    const documents = new PersistedDocuments({ mode: 'automatic' });
    expect(codeOf(() => documents.resolve('tenant-a', incoming({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })))).toBe('PERSISTED_QUERY_NOT_FOUND');
    const first = documents.resolve('tenant-a', incoming({ query: text, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }));
    expect(first.operation.hash).toBe(hash);
    first.register?.();
    expect(documents.resolve('tenant-a', incoming({ documentId: `sha256:${hash}` })).operation.query).toBe(text);
    // Tenant B cannot run, nor learn about, A's registered document by its hash.
    expect(codeOf(() => documents.resolve('tenant-b', incoming({ documentId: `sha256:${hash}` })))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses a hash that is not the SHA-256 of the text sent with it (no entry can be poisoned)', () => {
    const documents = new PersistedDocuments({ mode: 'automatic' });
    const other = sha256Hex('{ thing { __typename } }');
    expect(codeOf(() => documents.resolve('tenant-a', incoming({ query: text, extensions: { persistedQuery: { version: 1, sha256Hash: other } } })))).toBe('BAD_REQUEST');
    expect(codeOf(() => documents.resolve('tenant-a', incoming({ documentId: `sha256:${other}` })))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf(() => incoming({ documentId: `sha256:${hash}`, extensions: { persistedQuery: { version: 1, sha256Hash: other } } }))).toBe('BAD_REQUEST');
    expect(codeOf(() => incoming({ extensions: { persistedQuery: { version: 2, sha256Hash: hash } } }))).toBe('BAD_REQUEST');
  });

  it('bounds what each tenant registers', () => {
    const documents = new PersistedDocuments({ mode: 'automatic', perTenant: { maxDocuments: 2, maxBytes: 1_000_000 } });
    const texts = ['{ thing { __typename } }', '{ node(id: "1") { id } }', text];
    for (const query of texts) documents.resolve('tenant-a', incoming({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } } })).register?.();
    const found = texts.map((query) => codeOf(() => documents.resolve('tenant-a', incoming({ documentId: `sha256:${sha256Hex(query)}` }))));
    expect(found).toEqual(['PERSISTED_QUERY_NOT_FOUND', undefined, undefined]);
  });

  it('trusted mode runs the manifest only, by id or by text, and registers nothing', () => {
    const folder = mkdtempSync(join(tmpdir(), 'tessera-manifest-'));
    const file = join(folder, 'manifest.json');
    writeFileSync(file, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: hash, body: text, name: 'Page', type: 'query' }] }));
    const documents = new PersistedDocuments({ mode: 'trusted', trusted: readTrustedDocuments(file) });
    expect(documents.resolve('tenant-a', incoming({ documentId: `sha256:${hash}` })).operation.query).toBe(text);
    expect(documents.resolve('tenant-b', incoming({ query: text })).operation.hash).toBe(hash);
    const other = '{ thing { __typename } }';
    expect(codeOf(() => documents.resolve('tenant-a', incoming({ query: other })))).toBe('DOCUMENT_NOT_TRUSTED');
    expect(codeOf(() => documents.resolve('tenant-a', incoming({ query: other, extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(other) } } })))).toBe('DOCUMENT_NOT_TRUSTED');
    expect(codeOf(() => documents.resolve('tenant-a', incoming({ documentId: `sha256:${sha256Hex(other)}` })))).toBe('DOCUMENT_NOT_TRUSTED');
    // A manifest whose id is not the hash of its body is refused at start-up.
    writeFileSync(file, JSON.stringify({ [sha256Hex(other)]: text }));
    expect(() => readTrustedDocuments(file)).toThrow(/not the SHA-256/);
  });
});

describe('prepared operations', () => {
  const request = (query: string, variables?: Record<string, unknown>) => ({ query, hash: sha256Hex(query), operationName: undefined, variables });

  it('prepares a document once; each tenant’s limits are held to the stored measures', () => {
    const prepared = new PreparedOperations();
    const query = '{ datasets(first: 10) { edges { node { id name } } } }';
    const first = prepared.admit(request(query), schema, limits);
    const again = prepared.admit(request(query), schema, limits);
    expect(again.prepared).toBe(first.prepared);
    expect(again.analyzed.measures).toEqual(first.analyzed.measures);
    // A tenant with a tighter depth or cost is refused from the same prepared operation.
    expect(codeOf(() => prepared.admit(request(query), schema, { ...limits, maxOperationDepth: 3 }))).toBe('QUERY_TOO_COMPLEX');
    expect(codeOf(() => prepared.admit(request(query), schema, { ...limits, maxOperationCost: 5 }))).toBe('QUERY_TOO_COMPLEX');
    expect(codeOf(() => prepared.admit(request(query), schema, { ...limits, maxOperationTokens: 5 }))).toBe('QUERY_TOO_COMPLEX');
  });

  it('measures again per request when a list is sized by a variable', () => {
    const prepared = new PreparedOperations();
    const query = 'query Page($n: Int) { datasets(first: $n) { edges { node { id } } } }';
    const small = prepared.admit(request(query, { n: 2 }), schema, limits).analyzed.measures.cost;
    const large = prepared.admit(request(query, { n: 200 }), schema, limits).analyzed.measures.cost;
    expect(large).toBeGreaterThan(small);
    expect(codeOf(() => prepared.admit(request(query, { n: 100_000 }), schema, limits))).toBe('QUERY_TOO_COMPLEX');
  });

  it('a new schema empties it; it stays within its bounds', () => {
    const prepared = new PreparedOperations({ maxOperations: 2 });
    for (const n of [1, 2, 3]) prepared.admit(request(`{ datasets(first: ${n}) { edges { node { id } } } }`), schema, limits);
    expect(prepared.size).toBe(2);
    prepared.admit(request('{ thing { __typename } }'), buildSchema('type Query { thing: String }'), limits);
    expect(prepared.size).toBe(1);
    // PREPARED_OPERATIONS_MAX=0: nothing is kept, so no plan is ever looked at for a route.
    const none = new PreparedOperations({ maxOperations: 0 });
    expect(none.admit(request('{ thing { __typename } }'), schema, limits).prepared.kept).toBe(false);
    expect(none.size).toBe(0);
  });
});

describe('single-fetch route of a query plan', () => {
  const client = parseOperation({ query: 'query P { datasets(first: 10) { edges { node { id name } } } }', operationName: undefined }, 1_000);
  const fetch = (operation: string, extra: Record<string, unknown> = {}) => ({ node: { kind: 'Fetch', serviceName: 'datasets', operation, operationKind: 'query', variableUsages: [], ...extra } });

  it('qualifies a plan of one fetch asking the subgraph exactly what the client asked', () => {
    expect(singleFetchRouteOf(fetch('query P__datasets__0{datasets(first:10){edges{node{id name}}}}', { operationName: 'P__datasets__0' }), client)).toEqual({
      serviceName: 'datasets',
      query: 'query P__datasets__0{datasets(first:10){edges{node{id name}}}}',
      operationName: 'P__datasets__0',
      variableUsages: [],
    });
  });

  it('refuses a fetch with anything added, requires, rewrites, or a plan of several nodes', () => {
    expect(singleFetchRouteOf(fetch('{datasets(first:10){edges{node{__typename id name}}}}'), client)).toBeNull();
    expect(singleFetchRouteOf(fetch('{datasets(first:10){edges{node{id name}}}}', { requires: [{}] }), client)).toBeNull();
    expect(singleFetchRouteOf(fetch('{datasets(first:10){edges{node{id name}}}}', { outputRewrites: [{}] }), client)).toBeNull();
    expect(singleFetchRouteOf({ node: { kind: 'Sequence' } }, client)).toBeNull();
    expect(singleFetchRouteOf({}, client)).toBeNull();
    const abstract = parseOperation({ query: '{ thing { ... on Dataset { id } } }', operationName: undefined }, 1_000);
    expect(singleFetchRouteOf(fetch('{thing{__typename ...on Dataset{id}}}'), abstract)).toBeNull();
    // Fragments compare expanded.
    const spread = parseOperation({ query: '{ datasets { ...E } } fragment E on DatasetConnection { edges { node { id } } }', operationName: undefined }, 1_000);
    expect(singleFetchRouteOf(fetch('{datasets{...on DatasetConnection{edges{node{id}}}}}'), spread)).not.toBeNull();
  });
});

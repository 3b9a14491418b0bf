import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TesseraError } from '@tessera/errors';
import type { IncomingOperation, OperationRequest } from '../pipeline/operation-request';
import { BoundedLru } from './bounded-lru';

/**
 * `automatic`: any document runs; a client may register one by its SHA-256 (Apollo's automatic
 * persisted queries) and then send only the hash. `trusted`: only the documents of the manifest
 * run (by id or by text); everything else is DOCUMENT_NOT_TRUSTED, nothing is registered.
 */
export type PersistedDocumentsMode = 'automatic' | 'trusted';

export interface PersistedDocumentsOptions {
  mode: PersistedDocumentsMode;
  /** The trusted documents (a manifest built with the clients), by the SHA-256 of their text. */
  trusted?: ReadonlyMap<string, string> | undefined;
  /** Automatically registered documents each tenant may hold (default 500 documents, 512 KiB). */
  perTenant?: { maxDocuments: number; maxBytes: number } | undefined;
  /** Tenants whose registered documents are held at once, least recently used dropped first (default 2 000). */
  maxTenants?: number | undefined;
}

/** An operation whose text is known, with the SHA-256 of that text: what the prepared-operation cache is keyed by. */
export type ResolvedOperation = OperationRequest & { hash: string };

export interface ResolvedDocument {
  operation: ResolvedOperation;
  /** Keeps a newly sent text under its hash for the tenant (automatic mode); called once the operation was admitted. */
  register: (() => void) | undefined;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Where a request's document comes from: its own text (hashed here, so a cache keyed by the hash
 * cannot be fed a text under another text's hash), a trusted manifest, or the tenant's own
 * registered documents.
 *
 * Registered documents are kept per tenant (a budget key: tenant id, or the operator for platform
 * admins): a document's text may hold literals (names, ids), so tenant B can neither run nor
 * detect A's registered documents by guessing hashes, and one tenant registering documents
 * evicts only its own. Each tenant's store and the number of stores are bounded.
 */
export class PersistedDocuments {
  private readonly trusted: ReadonlyMap<string, string>;
  private readonly registered: BoundedLru<string, BoundedLru<string, string>>;
  private readonly perTenant: { maxDocuments: number; maxBytes: number };

  constructor(private readonly options: PersistedDocumentsOptions) {
    this.trusted = options.trusted ?? new Map();
    this.perTenant = options.perTenant ?? { maxDocuments: 500, maxBytes: 512 * 1024 };
    const maxTenants = options.maxTenants ?? 2_000;
    this.registered = new BoundedLru(maxTenants, maxTenants);
  }

  get mode(): PersistedDocumentsMode {
    return this.options.mode;
  }

  resolve(namespace: string, incoming: IncomingOperation): ResolvedDocument {
    const { operationName, variables } = incoming;
    if (incoming.query !== undefined) {
      const hash = sha256Hex(incoming.query);
      if (incoming.documentHash !== undefined && incoming.documentHash !== hash) {
        throw new TesseraError('BAD_REQUEST', 'The persisted query hash is not the SHA-256 of the query text sent with it.');
      }
      const trusted = this.trusted.has(hash);
      if (this.options.mode === 'trusted' && !trusted) throw notTrusted();
      const register = incoming.documentHash !== undefined && !trusted ? () => this.store(namespace, hash, incoming.query!) : undefined;
      return { operation: { query: incoming.query, hash, operationName, variables }, register };
    }
    const hash = incoming.documentHash!;
    const query = this.trusted.get(hash) ?? (this.options.mode === 'automatic' ? this.registered.get(namespace)?.get(hash) : undefined);
    if (query === undefined) {
      if (this.options.mode === 'trusted') throw notTrusted();
      throw new TesseraError('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
    }
    return { operation: { query, hash, operationName, variables }, register: undefined };
  }

  private store(namespace: string, hash: string, query: string): void {
    let documents = this.registered.get(namespace);
    if (!documents) {
      documents = new BoundedLru(this.perTenant.maxDocuments, this.perTenant.maxBytes);
      this.registered.set(namespace, documents, 1);
    }
    // UTF-16 code units × 2: what the string holds in memory, at most.
    documents.set(hash, query, query.length * 2);
  }
}

const notTrusted = () => new TesseraError('DOCUMENT_NOT_TRUSTED', 'This gateway runs only trusted documents, and this one is not among them.');

/**
 * A trusted-documents manifest: Apollo's persisted query manifest (`{ "format":
 * "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "body", … }] }`) or a
 * flat `{ "<sha256>": "<document>" }` map (GraphQL Code Generator's client preset, Relay). Every id
 * must be the SHA-256 of its body: a manifest that says otherwise is refused at start-up.
 */
export function readTrustedDocuments(file: string): Map<string, string> {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const pairs: Array<[unknown, unknown]> = [];
  if (typeof parsed === 'object' && parsed !== null && (parsed as Record<string, unknown>)['format'] === 'apollo-persisted-query-manifest') {
    const operations = (parsed as Record<string, unknown>)['operations'];
    if (!Array.isArray(operations)) throw new Error(`${file}: "operations" must be an array`);
    for (const operation of operations as Array<Record<string, unknown>>) pairs.push([operation?.['id'], operation?.['body']]);
  } else if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    pairs.push(...Object.entries(parsed));
  } else {
    throw new Error(`${file}: not a persisted-documents manifest`);
  }
  const documents = new Map<string, string>();
  for (const [id, body] of pairs) {
    if (typeof id !== 'string' || typeof body !== 'string') throw new Error(`${file}: every document needs a string id and body`);
    const hash = id.replace(/^sha256:/, '');
    if (sha256Hex(body) !== hash) throw new Error(`${file}: ${id.slice(0, 80)} is not the SHA-256 of its document`);
    documents.set(hash, body);
  }
  return documents;
}

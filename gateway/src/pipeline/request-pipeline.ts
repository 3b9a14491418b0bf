import type { IncomingHttpHeaders } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Principal } from '@tessera/auth';
import { isTesseraError, TesseraError } from '@tessera/errors';
import { predictRouteOperation, type OperationType, type RequestObservation } from '@tessera/monitoring';
import { setTenantAttributes } from '@tessera/telemetry';
import type { TenantLimits, TenantRecord } from '@tessera/tenancy';
import type { GatewayContext } from '../gateway-context';
import type { RequestAuthenticator } from '../request-auth';
import type { RequestFacts } from '../request-facts';
import type { CostRateLimiter } from './cost-rate-limit';
import type { AnalyzedOperation } from './operation-analysis';
import { answerSizeCost, documentSizeCost, refusedBodyCost, refusedDocumentCost, routeCosts, socketMessageCost, variableValuesCost } from './operation-cost-weights';
import { assertVariablesBounded } from './variable-values';
import type { RateLimitHold } from './rate-limit-hold';
import type { ReleaseSlot, TenantConcurrency } from './tenant-concurrency';
import type { TransferSlots } from './transfer-slots';
import type { IncomingOperation } from './operation-request';
import type { PersistedDocuments, ResolvedOperation } from '../prepared/persisted-documents';
import { operationOfRefusal, type PreparedOperation, type PreparedOperations } from '../prepared/prepared-operations';
import { workOfOperation, type UsageBudgetStep } from './usage-budget-step';
import { assertOperationAllowed } from '../access/operation-scope';
import { scopeRefusalFields, type ScopeRefusalRecorder } from '../access/scope-refusal-log';
import { errors } from '@tessera/errors';

/** Records a refused authentication (audit trail, security log). */
export type AuthFailureRecorder = (headers: IncomingHttpHeaders, sourceIp: string | undefined, requestId: string, error: unknown) => Promise<void>;

export interface RequestPipelineDeps {
  authenticate: RequestAuthenticator;
  recordAuthFailure: AuthFailureRecorder;
  /** Records an operation-scoped API key's refusal in its tenant's trail (access/scope-refusal-log.ts). */
  recordScopeRefusal: ScopeRefusalRecorder;
  rateLimiter: CostRateLimiter;
  /** Limits for callers without a tenant (platform_admin): the platform defaults. */
  platformLimits: TenantLimits;
  /** The current API schema (undefined until the first composition). */
  schema: () => GraphQLSchema | undefined;
  /**
   * The metrics step for what the pipeline refuses after authentication (limits, budget, malformed
   * operations): Apollo's metrics plugin never sees those, yet they are the tenant's requests.
   */
  recordRefusal: (observation: RequestObservation) => void;
  /** Month-to-date budgets (new work past one is refused) and the costUnits meter of admitted work. */
  usage: UsageBudgetStep;
  /** Holds RATE_LIMITED answers back briefly, so a client ignoring retry-after cannot spin (rate-limit-hold.ts). */
  rateLimitHold: RateLimitHold;
  /** Each tenant's slots for running operations (maxConcurrentOperations) and its queue for the rest. */
  concurrency: TenantConcurrency;
  /** Each tenant's uploads and downloads in progress (transfer-slots.ts). */
  transfers: TransferSlots;
  /** Where a request's document text comes from: the request, the trusted manifest, the tenant's registered documents. */
  documents: PersistedDocuments;
  /** Operations parsed, measured and validated once per document (keyed by its SHA-256) for the current schema. */
  prepared: PreparedOperations;
}

/** An operation through the operation-limits step: its measures, and the prepared operation they came from. */
export interface AdmittedOperation extends AnalyzedOperation {
  prepared: PreparedOperation;
  request: ResolvedOperation;
  /** How many values the request's JSON holds (variables, extensions, anything else): paid for like the document's length. */
  values: number;
  /** How long the request was as sent (its body or URL search): paid for like the document's length, whichever is longer. */
  bytes: number;
}

/** Who is calling, once the token and the tenant were checked. */
export interface Caller {
  principal: Principal;
  tenant: TenantRecord | undefined;
  requestId: string;
  /** An API key limited to these root fields (absent or null: whatever its role allows). */
  allowedOperations?: readonly string[] | null | undefined;
  /** When the credential stops being valid (ms since epoch): an API key's expiry, an access token's `exp`. */
  expiresAtMs?: number | undefined;
}

/**
 * The gateway's one request pipeline. Every entry point — POST and GET /graphql, graphql-ws
 * `connection_init` and `subscribe`, uploads, downloads, the predict route — runs these steps in this order, each
 * written once here: authenticate → tenant → operation limits → the tenant's operation slots
 * (queries and mutations) → rate limit (cost units) → budget → internal context. (Request id and CORS come first, from request-id.ts and cors.ts; request
 * metrics last, from the Apollo plugin and the subscription relay.) A new limit added here holds
 * on every entry point.
 */
export function createRequestPipeline(deps: RequestPipelineDeps) {
  const limitsOf = (caller: Caller): TenantLimits => caller.tenant?.limits ?? deps.platformLimits;
  // Platform operators have no tenant: each gets a budget of its own at the platform defaults.
  const budgetOf = (caller: Caller): string => caller.tenant?.id ?? `platform:${caller.principal.subject}`;

  /** Steps 1–2: the access token (issuer, audience, expiry, signature) and its tenant (known, active). */
  async function authenticate(facts: Pick<RequestFacts, 'headers' | 'ip' | 'requestId'>): Promise<Caller> {
    try {
      const { principal, tenant, allowedOperations, expiresAtMs } = await deps.authenticate(facts.headers, facts.ip, facts.requestId);
      setTenantAttributes(trace.getActiveSpan(), principal);
      return { principal, tenant, requestId: facts.requestId, allowedOperations, expiresAtMs };
    } catch (error) {
      await deps.recordAuthFailure(facts.headers, facts.ip, facts.requestId, error);
      throw error;
    }
  }

  /**
   * Step 3: the operation's document (its text, or a trusted or registered document named by its
   * hash), then its shape within the tenant's limits and within what an operation-scoped API key
   * may run. The document is parsed and measured once (prepared-operations.ts); the tenant's limits
   * are held to its measures on every request.
   */
  function analyze(caller: Caller, incoming: IncomingOperation): AdmittedOperation {
    const limits = limitsOf(caller);
    const budget = budgetOf(caller);
    deps.rateLimiter.assertNotEmpty(budget, limits);
    try {
      const { operation: request, register } = deps.documents.resolve(budget, incoming);
      const schema = deps.schema();
      if (!schema) throw new TesseraError('SERVICE_UNAVAILABLE', 'The gateway has not loaded the schema yet; retry shortly.');
      const { prepared, analyzed } = deps.prepared.admit(request, schema, limits);
      assertOperationAllowed(caller.allowedOperations, analyzed.document, analyzed.operation);
      // Within its limits: its variables, coerced once here with a bound on the errors made.
      assertVariablesBounded(schema, analyzed.operation, request.variables);
      register?.();
      return { ...analyzed, prepared, request, values: incoming.values, bytes: incoming.bytes };
    } catch (error) {
      // A refused document still cost the gateway a scan of its text and variables: it is paid from
      // the same budget (a fee and its size), so a tenant cannot resend over-limit documents in a
      // loop. An unknown persisted-document hash cost a lookup, and is a normal step of APQ: one unit.
      if (isTesseraError(error) && error.code !== 'SERVICE_UNAVAILABLE') {
        deps.rateLimiter.charge(budget, limits, error.code === 'PERSISTED_QUERY_NOT_FOUND' ? 1 : refusedDocumentCost(incoming.query ?? '', incoming.bytes) + variableValuesCost(incoming.values));
      }
      throw error;
    }
  }

  /** Step 4: the operation's cost out of the tenant's budget. */
  function charge(caller: Caller, analyzed: AdmittedOperation, extraCost = 0): void {
    // Its size: the document's (a persisted one is named by a short hash) or the request's, whichever is longer.
    const kib = Math.max(analyzed.measures.kib, Math.ceil(analyzed.bytes / 1024));
    deps.rateLimiter.take(budgetOf(caller), limitsOf(caller), analyzed.measures.cost + documentSizeCost(kib) + variableValuesCost(analyzed.values) + extraCost);
  }

  /** An operation-scoped API key refused beyond its list: in its tenant's trail, by the key. */
  async function recordScopeRefusal(caller: Caller, error: unknown, operation: string | null | undefined): Promise<void> {
    const fields = caller.allowedOperations && caller.tenant ? scopeRefusalFields(error) : undefined;
    if (fields && caller.tenant) await deps.recordScopeRefusal(caller.principal, caller.tenant.id, { fields, operation: operation ?? null });
  }

  /** A refusal after authentication: counted in the tenant's metrics (Apollo's plugin never sees it), a rate-limit refusal held back. */
  async function refuse(caller: Caller, startedAt: number, error: unknown, operation?: RefusedOperation): Promise<void> {
    if (caller.tenant) recordRefusal(caller.tenant.id, startedAt, error, operation ?? refusedOperationOf(error));
    await deps.rateLimitHold.hold(error, budgetOf(caller));
  }

  /**
   * Counted under the operation's own type and name when it was parsed (a limit, the rate limit, a
   * budget refused it); as INVALID, unnamed, when it never parsed or was refused before its body was read.
   */
  function recordRefusal(tenantId: string, startedAt: number, error: unknown, operation: RefusedOperation | undefined): void {
    deps.recordRefusal({
      tenantId,
      startedAt,
      operationType: operation?.type ?? 'invalid',
      operationName: operation?.name ?? null,
      latencyMs: Date.now() - startedAt,
      errorCodes: [isTesseraError(error) ? error.code : 'INTERNAL_SERVER_ERROR'],
    });
  }

  return {
    /**
     * Steps 1–2 for an HTTP GraphQL request, and a tenant that already spent its minute is refused
     * right here: before its body is read or parsed, before Apollo sees it.
     */
    async admitCaller(facts: RequestFacts): Promise<Caller> {
      const caller = await authenticate(facts);
      try {
        deps.rateLimiter.assertNotEmpty(budgetOf(caller), limitsOf(caller));
      } catch (error) {
        await refuse(caller, Date.now(), error);
        throw error;
      }
      return caller;
    },

    /**
     * A query or mutation over HTTP (POST or GET /graphql) of an admitted caller: the remaining
     * steps, then the context Apollo runs it with. The context holds one of the tenant's operation
     * slots; `releaseSlot` gives it back once the answer is ready (operation-slot-plugin.ts).
     */
    async graphql(caller: Caller, facts: RequestFacts, request: IncomingOperation): Promise<GatewayContext> {
      const startedAt = Date.now();
      let analyzed: AdmittedOperation | undefined;
      let release: ReleaseSlot | undefined;
      try {
        analyzed = analyze(caller, request);
        if (analyzed.operation.operation === 'subscription') {
          throw new TesseraError('BAD_REQUEST', 'Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql, not over HTTP.');
        }
        // GET runs queries only (a link or an image tag must not change anything). Apollo refused a
        // mutation too, but as BAD_REQUEST with a 405: the registry's code for a 405 is this one.
        if (request.viaGet && analyzed.operation.operation === 'mutation') {
          throw new TesseraError('METHOD_NOT_ALLOWED', 'A mutation is sent with POST: GET /graphql runs queries only.', { allow: 'POST' });
        }
        // Waiting for a slot comes before paying: an operation is charged when it runs, and a
        // tenant's queued operations cannot spend its budget ahead of the ones running.
        release = await deps.concurrency.acquire(budgetOf(caller), limitsOf(caller).maxConcurrentOperations);
        charge(caller, analyzed);
        await deps.usage.assertWithinBudget(caller, workOfOperation(analyzed));
      } catch (error) {
        release?.();
        await recordScopeRefusal(caller, error, request.operationName);
        await refuse(caller, startedAt, error, analyzed ? refusedOperation(analyzed.operation) : undefined);
        throw error;
      }
      deps.usage.meterCost(caller, analyzed.measures.cost);
      // The internal context itself is minted per subgraph call (tenant-context-data-source.ts): each hop gets its own.
      return {
        principal: caller.principal,
        tenant: caller.tenant,
        requestId: facts.requestId,
        publicUrl: facts.publicUrl,
        operationCost: analyzed.measures.cost,
        releaseSlot: release,
        prepared: analyzed.prepared,
        operationRequest: analyzed.request,
      };
    },

    /**
     * An upload or download: authenticated, given one of the tenant's transfer slots (`release`
     * gives it back when the stream is over) and charged like an operation of the route's weight.
     */
    async route(facts: RequestFacts, kind: keyof typeof routeCosts): Promise<{ caller: Caller; release: ReleaseSlot }> {
      const caller = await authenticate(facts);
      // An upload or download names no operation to check against the key's list: such keys stay on /graphql.
      if (caller.allowedOperations) {
        const refused = errors.forbidden('An API key limited to some operations cannot upload or download files.', { refusedFields: [kind] });
        // Paid like a refused document (each refusal is written to the tenant's trail).
        deps.rateLimiter.charge(budgetOf(caller), limitsOf(caller), refusedBodyCost(0));
        await recordScopeRefusal(caller, refused, null);
        throw refused;
      }
      let release: ReleaseSlot | undefined;
      try {
        release = deps.transfers.acquire(budgetOf(caller));
        deps.rateLimiter.take(budgetOf(caller), limitsOf(caller), routeCosts[kind]);
      } catch (error) {
        release?.();
        await deps.rateLimitHold.hold(error, budgetOf(caller));
        throw error;
      }
      try {
        await deps.usage.assertWithinBudget(caller, kind);
      } catch (error) {
        release();
        throw error;
      }
      deps.usage.meterCost(caller, routeCosts[kind]);
      return { caller, release };
    },

    /**
     * POST /v1/predict of a caller through `admitCaller`, once its body is read: a `predict`
     * without GraphQL, admitted as the query would be — an operation-scoped API key must list
     * `predict`, the call holds one of the tenant's operation slots (`release` gives it back), and
     * pays the query's cost from the same budget, plus its body's length as a document's
     * (`documentSizeCost`): the gateway forwards it unparsed, but the models service parses and
     * checks every value of it.
     */
    async predict(caller: Caller, bodyBytes: number): Promise<ReleaseSlot> {
      const startedAt = Date.now();
      let release: ReleaseSlot | undefined;
      try {
        if (caller.allowedOperations && !caller.allowedOperations.includes('predict')) {
          // Paid like a refused document of the body's length (each refusal is written to the tenant's trail).
          deps.rateLimiter.charge(budgetOf(caller), limitsOf(caller), refusedBodyCost(bodyBytes));
          throw new TesseraError('FORBIDDEN', `This API key may run only: ${caller.allowedOperations.join(', ')}.`, { refusedFields: ['predict'] });
        }
        release = await deps.concurrency.acquire(budgetOf(caller), limitsOf(caller).maxConcurrentOperations);
        deps.rateLimiter.take(budgetOf(caller), limitsOf(caller), routeCosts.predict + documentSizeCost(Math.ceil(bodyBytes / 1024)));
        await deps.usage.assertWithinBudget(caller, 'predict');
      } catch (error) {
        release?.();
        await recordScopeRefusal(caller, error, predictRouteOperation);
        await refuse(caller, startedAt, error, { type: 'query', name: predictRouteOperation });
        throw error;
      }
      deps.usage.meterCost(caller, routeCosts.predict);
      return release;
    },

    /**
     * An admitted caller's HTTP body refused before it named an operation (not JSON, a batch array,
     * a non-string query, …): the gateway parsed all of it, so it pays as a refused document of its
     * length (charged even into debt), counted in the tenant's metrics, a rate-limit refusal held back.
     */
    async refuseBody(caller: Caller, bytes: number, error: unknown): Promise<void> {
      deps.rateLimiter.charge(budgetOf(caller), limitsOf(caller), refusedBodyCost(bytes));
      await refuse(caller, Date.now(), error);
    },

    /**
     * An admitted query, mutation or predict-route call has sent its answer of `bytes`: its size past
     * the first KiB is taken from the tenant's cost units (`answerSizeCost`), in full, however deep
     * into debt (the work is done): the next request of a tenant whose answers spent its budget is
     * refused until they are paid back.
     */
    answered(caller: Caller, bytes: number): void {
      const units = answerSizeCost(bytes);
      if (units > 0) deps.rateLimiter.chargeInFull(budgetOf(caller), limitsOf(caller), units);
    },

    /** graphql-ws `connection_init`: the token and its tenant (operations are admitted one by one). */
    connect: authenticate,

    /**
     * A message on an authenticated WebSocket, before graphql-ws parses it: one unit, or its size
     * past the first KiB (one unit per KiB) when that is more, from the tenant's cost units
     * (RATE_LIMITED when they are spent). A ping may carry any payload up to a message's size and
     * costs nothing else, so without the size a tenant's sockets could have the gateway parse
     * megabytes a second for free; and without the unit, small messages (a `pong` or a `complete`
     * of no operation gets no reply at all) were free in any number: two sockets sending them
     * took another tenant's median answer from 3 ms to 280 ms. An HTTP request pays at least a unit too.
     */
    message(caller: Caller, bytes: number): void {
      deps.rateLimiter.take(budgetOf(caller), limitsOf(caller), socketMessageCost(bytes));
    },

    /** graphql-ws `subscribe`: the operation's shape and its cost, plus the weight of holding a stream open. */
    async subscribe(caller: Caller, request: IncomingOperation): Promise<AdmittedOperation> {
      let analyzed: AdmittedOperation;
      try {
        analyzed = analyze(caller, request);
      } catch (error) {
        await recordScopeRefusal(caller, error, request.operationName);
        throw error;
      }
      charge(caller, analyzed, routeCosts.subscribe);
      await deps.usage.assertWithinBudget(caller, 'subscribe');
      deps.usage.meterCost(caller, analyzed.measures.cost + routeCosts.subscribe);
      return analyzed;
    },
  };
}

export type RequestPipeline = ReturnType<typeof createRequestPipeline>;

/** What a refusal is counted under in the tenant's request metrics. */
interface RefusedOperation {
  type: OperationType;
  name: string | null;
}

function refusedOperation(operation: OperationDefinitionNode): RefusedOperation {
  return { type: operation.operation, name: operation.name?.value ?? null };
}

function refusedOperationOf(error: unknown): RefusedOperation | undefined {
  const operation = operationOfRefusal(error);
  return operation ? refusedOperation(operation) : undefined;
}

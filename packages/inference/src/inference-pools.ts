/**
 * The inference gateway of one service process: routes each predict call to its tenant's own pool
 * of child processes (`shared:<tenantId>` or `dedicated:<tenantId>`), records every call for
 * metrics, and owns the lifecycle of all those processes.
 */
import type { Logger } from '@tessera/config';
import { errors, isTesseraError, type TesseraError } from '@tessera/errors';
import { parseBatchingOverride, parseInferencePoolsOptions, type InferencePoolsOptions, type InferencePoolsOptionsInput } from './inference-config';
import { inferenceErrors } from './inference-errors';
import { traceParentOfCaller } from './inference-tracing';
import type { InferenceRecord, InferenceRecordListener, OutputDataFormat, PredictRequest, PredictResult, TenantInferenceLimits, TenantTier } from './inference-types';
import { InferenceMemoryBudget } from './inference-memory-budget';
import { runComputeOf } from './run-compute';
import { ModelBytesCache } from './model-bytes-cache';
import { TenantInFlight, type InFlightElsewhere } from './tenant-in-flight';
import { parseTenantInferenceLimits } from './tenant-inference-limits';
import { batchSignature, toNumberOutputs, toWireInputs, validateInputs } from './tensor-codec';
import { TenantPool, type PoolResources, type PoolStats, type ProcessMemoryReservations } from './tenant-pool';

const mib = 1024 * 1024;

/** What callers may see of a pool: its stable identity and live numbers. */
export interface InferencePool {
  readonly id: string;
  readonly tenantId: string;
  readonly tier: TenantTier;
  stats(): PoolStats;
}

export const poolIdFor = (tenantId: string, tier: TenantTier): string => `${tier}:${tenantId}`;

export class InferencePools {
  readonly options: InferencePoolsOptions;
  private readonly pools = new Map<string, TenantPool>();
  private readonly listeners = new Set<InferenceRecordListener>();
  private readonly inFlight = new TenantInFlight();
  private readonly modelBytes: ModelBytesCache;
  private readonly memory: InferenceMemoryBudget;
  private closing: Promise<void> | undefined;
  // Last resort against orphans if the owner exits without close(): children also exit on IPC disconnect.
  private readonly killOnExit = () => {
    for (const pool of this.pools.values()) void pool.retire();
  };

  constructor(options: InferencePoolsOptionsInput = {}, private readonly logger?: Logger) {
    this.options = parseInferencePoolsOptions(options);
    this.modelBytes = new ModelBytesCache(this.options.modelBytesCacheBytes, this.options.modelBytesCacheTtlMs, this.options.loadTimeoutMs);
    this.memory = new InferenceMemoryBudget(this.options.memoryBudgetMb * mib);
    process.once('exit', this.killOnExit);
  }

  /** The tenant's pool for that tier (created on first use; its processes start lazily). */
  poolFor(tenantId: string, tier: TenantTier): InferencePool {
    if (tier !== 'shared' && tier !== 'dedicated') throw errors.badInput('tier must be shared or dedicated.', { field: 'tier' });
    return this.pool(tenantId, tier);
  }

  stats(): PoolStats[] {
    return [...this.pools.values()].map((pool) => pool.stats());
  }

  /** The tenant's predictions accepted and not yet answered in this process (queued + running). */
  inFlightCount(tenantId: string): number {
    return this.inFlight.count(tenantId);
  }

  /** Every tenant with predictions in flight in this process, and how many (what a replica reports to the others). */
  inFlightCounts(): Map<string, number> {
    return this.inFlight.all();
  }

  /**
   * Makes `maxInFlight` count other replicas' calls too: `source` says how many a tenant has
   * elsewhere (e.g. from a periodic exchange through Redis). Without it the limit is per process.
   */
  countInFlightElsewhere(source: InFlightElsewhere): void {
    this.inFlight.elsewhere = source;
  }

  /**
   * The checks `predict` makes before queueing (in-flight and queue limits), without taking
   * anything: a caller with its own quota to consume (predictions per minute) asks first, so a
   * call refused here does not use up that quota.
   */
  assertAdmissible(tenantId: string, tier: TenantTier, limits: TenantInferenceLimits): void {
    const checked = parseTenantInferenceLimits(limits);
    this.inFlight.assertRoom(tenantId, checked.maxInFlight);
    const pool = this.pools.get(poolIdFor(tenantId, tier));
    if (!pool) return;
    pool.applyResources(this.resourcesFor(tier, checked));
    pool.assertQueueRoom();
  }

  /** Subscribes to one record per predict call; returns the unsubscribe function. */
  onRecord(listener: InferenceRecordListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  predict(request: PredictRequest & { outputData: 'typed' }): Promise<PredictResult<'typed'>>;
  predict(request: PredictRequest & { outputData?: 'numbers' | undefined }): Promise<PredictResult>;
  predict(request: PredictRequest): Promise<PredictResult<OutputDataFormat>>;
  async predict(request: PredictRequest): Promise<PredictResult<OutputDataFormat>> {
    const started = performance.now();
    const poolId = poolIdFor(String(request?.tenantId), request?.tier);
    try {
      const result = await this.run(request);
      const latencyMs = performance.now() - started;
      this.record({ tenantId: request.tenantId, modelKey: request.modelKey, poolId, batchSize: result.batchSize, latencyMs, computeMs: result.computeMs, computeCpuMs: result.computeCpuMs, ok: true });
      const outputs = request.outputData === 'typed' ? result.outputs : toNumberOutputs(result.outputs);
      return { ...result, outputs, latencyMs, poolId };
    } catch (caught) {
      const error: TesseraError = isTesseraError(caught) ? caught : errors.internal();
      if (!isTesseraError(caught)) this.logger?.error('inference failed unexpectedly', { poolId, error: String(caught) });
      // A run that failed in a process still used it (a time limit, a crash, an answer over the limit): metered like a served one.
      const compute = runComputeOf(caught);
      this.record({
        tenantId: String(request?.tenantId),
        modelKey: String(request?.modelKey),
        poolId,
        batchSize: 0,
        latencyMs: performance.now() - started,
        computeMs: compute?.runMs ?? 0,
        computeCpuMs: compute?.runCpuMs ?? 0,
        ok: false,
        errorCode: error.code,
      });
      throw error;
    }
  }

  /** The inference memory budget: what live processes hold, in all and for one tenant (tests, metrics). */
  memoryReserved(tenantId?: string): number {
    return tenantId === undefined ? this.memory.reservedBytes : this.memory.heldBy(tenantId);
  }

  /** The tenants this process holds a pool for (live or idle). */
  tenantIds(): string[] {
    return [...new Set([...this.pools.values()].map((pool) => pool.tenantId))];
  }

  /**
   * Forgets a tenant (its erasure): each of its pools is closed — calls still waiting fail, every
   * process and with it every ONNX session is killed and waited for — and removed, and its cached
   * model files are dropped. A later call would start from nothing (and find no tenant).
   */
  async forgetTenant(tenantId: string): Promise<void> {
    const pools = [...this.pools.entries()].filter(([, pool]) => pool.tenantId === tenantId);
    for (const [id] of pools) this.pools.delete(id);
    this.modelBytes.forgetTenant(tenantId);
    await Promise.all(pools.map(([, pool]) => pool.close()));
  }

  /** Stops every process of every pool and waits until they are gone. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.pools.values()].map((pool) => pool.close()));
      this.modelBytes.clear();
      process.off('exit', this.killOnExit);
    })();
    return this.closing;
  }

  private async run(request: PredictRequest): Promise<Omit<PredictResult<'typed'>, 'latencyMs' | 'poolId'>> {
    if (this.closing) throw inferenceErrors.closed();
    const { tenantId, tier, modelKey, load } = request;
    if (typeof tenantId !== 'string' || tenantId === '') throw errors.badInput('tenantId is required.', { field: 'tenantId' });
    if (tier !== 'shared' && tier !== 'dedicated') throw errors.badInput('tier must be shared or dedicated.', { field: 'tier' });
    if (typeof modelKey !== 'string' || modelKey === '') throw errors.badInput('modelKey is required.', { field: 'modelKey' });
    if (typeof load !== 'function') throw errors.badInput('load must be a function.', { field: 'load' });
    const timeoutMs = request.timeoutMs ?? this.options.defaultTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
      throw errors.badInput('timeoutMs must be an integer between 1 and 600000.', { field: 'timeoutMs' });
    }
    const batching = request.batching === undefined ? this.options.batching : parseBatchingOverride(request.batching);
    const limits = request.limits === undefined ? undefined : parseTenantInferenceLimits(request.limits);
    if (request.outputData !== undefined && request.outputData !== 'numbers' && request.outputData !== 'typed') {
      throw errors.badInput('outputData must be numbers or typed.', { field: 'outputData' });
    }
    validateInputs(request.inputs);
    // Converted (and every value checked) before queueing, so a bad call can never fail a merged batch.
    const inputs = toWireInputs(request.inputs);

    // Counted from here until answered: queued, waiting for room among shared pools, or running.
    const release = this.inFlight.acquire(tenantId, limits?.maxInFlight);
    try {
      const pool = this.pool(tenantId, tier);
      // The tenant's limits as of this call: a change made by an operator applies now.
      pool.applyResources(this.resourcesFor(tier, limits));
      pool.assertQueueRoom();
      if (tier === 'shared' && !pool.isLive) {
        // Synchronous when there is room, so two first calls in the same tick cannot both slip under the cap.
        const retiring = this.makeRoomForSharedPool(pool);
        if (retiring) await retiring;
      }
      return await pool.submit({
        modelKey,
        inputs,
        batchable: batchSignature(inputs),
        batching,
        timeoutMs,
        modelBytes: () => this.modelBytes.get(tenantId, modelKey, load),
        trace: traceParentOfCaller(),
      });
    } finally {
      release();
    }
  }

  /** The pool's budget: the tenant's limits within the host's bounds, or the tier's defaults without limits. */
  private resourcesFor(tier: TenantTier, limits: TenantInferenceLimits | undefined): PoolResources {
    const tierOptions = this.options[tier];
    if (!limits) {
      return {
        processes: tierOptions.processes,
        intraOpNumThreads: tierOptions.intraOpNumThreads,
        maxQueued: this.options.maxQueuedPerPool,
        processMemoryBytes: this.memory.perProcessCapBytes(this.options.processMemoryMb * mib),
      };
    }
    return {
      processes: Math.min(limits.processes, this.options.maxProcessesPerPool),
      intraOpNumThreads: Math.min(limits.intraOpNumThreads, this.options.maxThreadsPerProcess),
      maxQueued: limits.maxQueued,
      // Like processes and threads, a tenant's grant is bounded by the host: here by its share of the budget.
      processMemoryBytes: this.memory.perProcessCapBytes(limits.processMemoryMb * mib),
    };
  }

  private pool(tenantId: string, tier: TenantTier): TenantPool {
    const id = poolIdFor(tenantId, tier);
    let pool = this.pools.get(id);
    if (!pool) {
      pool = new TenantPool(id, tenantId, tier, {
        resources: this.resourcesFor(tier, undefined),
        idleStopMs: this.options[tier].idleStopMs,
        startTimeoutMs: this.options.startTimeoutMs,
        restartBackoff: { baseMs: this.options.restartBackoffMs, maxMs: this.options.restartBackoffMaxMs },
        sessionCacheBytes: this.options.sessionCacheBytes,
        memoryCheckIntervalMs: this.options.memoryCheckIntervalMs,
        maxOutputValues: this.options.maxOutputValues,
        onUnexpectedExit: (poolId, pid, description) => this.logger?.warn('inference process ended (crash, time or memory limit)', { poolId, pid, description }),
        onMemoryKill: (poolId, pid, rssBytes, limitBytes) =>
          this.logger?.warn('inference process over its memory limit; killed', { poolId, pid, rssMb: Math.round(rssBytes / mib), limitMb: Math.round(limitBytes / mib) }),
        onStartFailure: (poolId, detail) => this.logger?.error('inference process could not start', { poolId, detail }),
        memory: this.reservations,
      });
      this.pools.set(id, pool);
    }
    return pool;
  }

  /**
   * Host protection: at most `maxLiveSharedPools` shared pools keep processes. To start another,
   * the least recently used idle one is stopped; if every live one is busy, the call is refused
   * (503) rather than overcommitting the machine that every other tenant also runs on.
   */
  private makeRoomForSharedPool(pool: TenantPool): Promise<void> | undefined {
    const live = [...this.pools.values()].filter((candidate) => candidate !== pool && candidate.tier === 'shared' && candidate.isLive);
    if (live.length < this.options.maxLiveSharedPools) return undefined;
    const victim = live.filter((candidate) => candidate.isIdle).sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0];
    if (!victim) throw inferenceErrors.capacity(this.options.maxLiveSharedPools);
    return victim.retire();
  }

  /** The pools' side of the memory budget: reservations per tenant, and room made by stopping idle pools. */
  private readonly reservations: ProcessMemoryReservations = {
    tryReserve: (pool, bytes) => this.memory.tryReserve(pool.tenantId, bytes),
    release: (pool, bytes) => this.memory.release(pool.tenantId, bytes),
    noRoom: (pool, bytes) => this.makeMemoryRoom(pool, bytes),
  };

  /**
   * A pool needs `bytes` the budget does not have. Idle pools' processes are stopped, least recently
   * used first, until it would fit — only the tenant's own when its share is what is full — and the
   * pool retries once they have exited (their memory is free then, not before). A busy pool is never
   * stopped: with nothing idle to stop, the refusal is typed and retryable.
   */
  private makeMemoryRoom(pool: TenantPool, bytes: number): TesseraError | undefined {
    const shortage = this.memory.shortage(pool.tenantId, bytes);
    if (!shortage) {
      queueMicrotask(() => pool.retryStarts());
      return undefined;
    }
    let missing =
      shortage === 'tenant' ? this.memory.heldBy(pool.tenantId) + bytes - this.memory.perTenantBytes : this.memory.reservedBytes + bytes - this.memory.totalBytes;
    const victims: TenantPool[] = [];
    const idle = [...this.pools.values()]
      .filter((candidate) => candidate !== pool && candidate.isIdle && candidate.reservedBytes > 0 && (shortage === 'total' || candidate.tenantId === pool.tenantId))
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt);
    for (const candidate of idle) {
      if (missing <= 0) break;
      victims.push(candidate);
      missing -= candidate.reservedBytes;
    }
    if (missing > 0) {
      return shortage === 'tenant' ? inferenceErrors.tenantMemoryFull(Math.floor(this.memory.perTenantBytes / mib)) : inferenceErrors.memoryBudgetFull(this.options.memoryBudgetMb);
    }
    this.logger?.info('stopping idle inference pools to make room in the memory budget', { poolId: pool.id, stopped: victims.map((victim) => victim.id) });
    void Promise.allSettled(victims.map((victim) => victim.retire())).then(() => pool.retryStarts());
    return undefined;
  }

  private record(fields: Omit<InferenceRecord, 'at'>): void {
    const record: InferenceRecord = { ...fields, at: new Date() };
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch (error) {
        // A broken metrics sink must not turn a served prediction into an error.
        this.logger?.warn('inference record listener threw', { error: String(error) });
      }
    }
  }
}

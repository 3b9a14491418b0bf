import type { JobGrantToken, Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import type { ClaimedJob, JobsPort } from '@tessera/jobs/ports';
import type { PresignedFetchOptions } from '@tessera/storage';
import type { TenantRecord } from '@tessera/tenancy';

/** Thrown at a checkpoint once the job was cancelled: the run ends as CANCELLED. */
export class JobCancelled extends Error {
  constructor() {
    super('the job was cancelled');
    this.name = 'JobCancelled';
  }
}

/**
 * Thrown at a checkpoint once this run no longer owns the job (its lock expired and another worker
 * took it over, or the row moved on): the run stops without writing anything more.
 */
export class JobLost extends Error {
  constructor() {
    super('this run no longer owns the job');
    this.name = 'JobLost';
  }
}

/**
 * Thrown at a checkpoint once the jobs service ended the job because the principal it acts for
 * lost its access (FAILED PRINCIPAL_REVOKED): the run stops, registers nothing, and is not retried.
 */
export class JobPrincipalRevoked extends Error {
  constructor() {
    super('the principal this job acts for no longer holds access');
    this.name = 'JobPrincipalRevoked';
  }
}

/**
 * Thrown at a checkpoint once the run has taken longer than its tenant's maxJobRunSeconds (as read
 * when the run started): the job ends FAILED with JOB_TIME_LIMIT and is not retried.
 */
export class JobTimeLimitExceeded extends Error {
  constructor(readonly limitSeconds: number) {
    super(`The job ran longer than its tenant's limit of ${limitSeconds} s (maxJobRunSeconds) and was stopped; no output was registered.`);
    this.name = 'JobTimeLimitExceeded';
  }
}

export interface ProgressUpdate {
  progress: number;
  phase: string;
  metrics?: Record<string, number>;
  lossHistory?: number[];
}

/**
 * Progress is persisted and published (a signed port call, a row update, a publish to the job's
 * subscribers) every this often, and sooner for a new whole percent, but never twice within
 * `minGapMs`: a report offered every epoch, for a job of thousands of short epochs, would otherwise
 * cost the jobs service, the database and Redis one write each.
 */
const minIntervalMs = 500;
const minGapMs = 100;

/** The grant a run holds, and when it was issued (renewed once half its life has passed). */
interface HeldGrant {
  token: JobGrantToken;
  issuedAt: number;
  expiresAt: number;
}

/**
 * What a processor sees of its run: the claimed job, its tenant (tier, for the inference pools),
 * the grant the jobs service issued for this run (the only authority the datasets and models
 * ports accept from a worker), progress reporting (through the jobs port, which persists it and
 * publishes it on the tenant's 'jobs' topic), and checkpoints.
 * The checkpoint is where cancellation, loss of ownership and the tenant's run-time bound take
 * effect: between epochs and batches, between chunks and rows read, never in the middle of a write.
 */
export class JobContext {
  private cancelled = false;
  private lost = false;
  private revoked = false;
  private lastPersistedAt = 0;
  private lastPercent = -1;
  private lastPhase: string | null = null;
  private held: HeldGrant;
  /** The bound of this run, read from the tenant's limits when it started (a later change applies to later runs). */
  readonly runLimitSeconds: number;
  /** When the run passes its bound (epoch milliseconds), measured from the run's start on this worker. */
  readonly deadline: number;
  /** Milliseconds this run's processor has run so far: reported with its outcome, metered by the jobs service. */
  ranMs = 0;

  constructor(
    readonly job: ClaimedJob,
    readonly tenant: TenantRecord,
    /** Who the run acts for, as the jobs service said (logs and spans; the owners read it from the grant). */
    readonly principal: Principal,
    readonly runToken: string,
    grant: { grant: JobGrantToken; grantExpiresAt: string },
    private readonly jobs: JobsPort,
    readonly logger: Logger,
    /** How presigned object URLs are fetched (the CA to trust besides the public ones). */
    readonly objectFetch: PresignedFetchOptions,
  ) {
    this.held = { token: grant.grant, issuedAt: Date.now(), expiresAt: Date.parse(grant.grantExpiresAt) };
    this.runLimitSeconds = tenant.limits.maxJobRunSeconds;
    this.deadline = Date.now() + this.runLimitSeconds * 1000;
  }

  /** The current grant of this run, for each call to the datasets-job and models-job ports. */
  get grant(): JobGrantToken {
    return this.held.token;
  }

  input<T>(): T {
    return this.job.input as unknown as T;
  }

  markLost(): void {
    this.lost = true;
  }

  get isLost(): boolean {
    return this.lost;
  }

  /** The jobs service ended the job: its principal lost its access. */
  get isRevoked(): boolean {
    return this.revoked;
  }

  /**
   * Asks the jobs service for a fresh grant once half of the current one's life has passed (the
   * heartbeat calls this with the lock renewal). `lost`: the job is no longer this run's;
   * `revoked`: the jobs service ended it (its principal lost its access).
   */
  async renewGrantIfDue(leaseMs: number): Promise<void> {
    const { issuedAt, expiresAt } = this.held;
    if (this.lost || this.revoked || Date.now() < issuedAt + (expiresAt - issuedAt) / 2) return;
    const renewal = await this.jobs.renewGrant(this.principal, { jobId: this.job.id, runToken: this.runToken, leaseMs });
    if (renewal.outcome === 'revoked') {
      this.revoked = true;
      return;
    }
    if (renewal.outcome === 'lost') {
      this.lost = true;
      return;
    }
    this.held = { token: renewal.grant, issuedAt: Date.now(), expiresAt: Date.parse(renewal.grantExpiresAt) };
  }

  get pastDeadline(): boolean {
    return Date.now() >= this.deadline;
  }

  /** True when the next checkpoint would throw: polled where throwing is the caller's to do (training). */
  get mustStop(): boolean {
    return this.revoked || this.lost || this.cancelled || this.pastDeadline;
  }

  /** Throws JobPrincipalRevoked / JobLost / JobCancelled / JobTimeLimitExceeded when the run must stop here. */
  checkpoint(): void {
    if (this.revoked) throw new JobPrincipalRevoked();
    if (this.lost) throw new JobLost();
    if (this.cancelled) throw new JobCancelled();
    if (this.pastDeadline) throw new JobTimeLimitExceeded(this.runLimitSeconds);
  }

  /**
   * Asks the jobs service once more, now, whether the run may go on (its last progress unchanged):
   * a cancel that arrived after the processor's last report stops the run here, before its output
   * is registered or its result stored.
   */
  async confirm(): Promise<void> {
    this.checkpoint();
    await this.progress({ progress: Math.max(0, this.lastPercent), phase: this.lastPhase ?? 'finishing' }, true);
  }

  async progress(update: ProgressUpdate, force = false): Promise<void> {
    // Every report offered is a checkpoint, also one too soon after the last to be sent: the run's
    // bound is this worker's clock, not the jobs service's answer.
    this.checkpoint();
    const percent = Math.max(0, Math.min(99, Math.floor(update.progress)));
    const sinceLast = Date.now() - this.lastPersistedAt;
    const due = force || sinceLast >= minIntervalMs || (sinceLast >= minGapMs && percent !== this.lastPercent);
    if (!due) return;
    this.lastPersistedAt = Date.now();
    this.lastPercent = percent;
    this.lastPhase = update.phase;
    const outcome = await this.jobs.progress(this.principal, {
      jobId: this.job.id,
      runToken: this.runToken,
      progress: percent,
      phase: update.phase,
      ...(update.metrics ? { metrics: update.metrics } : {}),
      ...(update.lossHistory ? { lossHistory: update.lossHistory } : {}),
    });
    if (outcome === 'lost') this.lost = true;
    if (outcome === 'cancel-requested') this.cancelled = true;
    this.checkpoint();
  }
}

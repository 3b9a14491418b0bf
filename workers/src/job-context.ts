import type { Logger } from '@tessera/config';
import type { ClaimedJob, JobsPort } from '@tessera/jobs/ports';
import type { TenantScope } from '@tessera/tenancy';

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

export interface ProgressUpdate {
  progress: number;
  phase: string;
  metrics?: Record<string, number>;
  lossHistory?: number[];
}

/** Progress is persisted and published at most this often (plus every whole-percent step). */
const minIntervalMs = 500;

/**
 * What a processor sees of its run: the claimed job, the tenant scope (acting as the submitter),
 * progress reporting (through the jobs port, which persists it and publishes it on the tenant's
 * 'jobs' topic), and checkpoints.
 * The checkpoint is where cancellation and loss of ownership take effect: between epochs,
 * between chunks, never in the middle of a write.
 */
export class JobContext {
  private cancelled = false;
  private lost = false;
  private lastPersistedAt = 0;
  private lastPercent = -1;
  private lastPhase: string | null = null;

  constructor(
    readonly job: ClaimedJob,
    readonly scope: TenantScope,
    readonly runToken: string,
    private readonly jobs: JobsPort,
    readonly logger: Logger,
  ) {}

  input<T>(): T {
    return this.job.input as unknown as T;
  }

  markLost(): void {
    this.lost = true;
  }

  get isLost(): boolean {
    return this.lost;
  }

  /** Throws JobCancelled / JobLost when the run must stop here. */
  checkpoint(): void {
    if (this.lost) throw new JobLost();
    if (this.cancelled) throw new JobCancelled();
  }

  async progress(update: ProgressUpdate, force = false): Promise<void> {
    const percent = Math.max(0, Math.min(99, Math.floor(update.progress)));
    const due = force || percent !== this.lastPercent || update.phase !== this.lastPhase || Date.now() - this.lastPersistedAt >= minIntervalMs;
    if (!due) return;
    if (!force && Date.now() - this.lastPersistedAt < 50 && update.phase === this.lastPhase) return; // a burst of tiny steps
    this.lastPersistedAt = Date.now();
    this.lastPercent = percent;
    this.lastPhase = update.phase;
    const outcome = await this.jobs.progress(this.scope.principal, {
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

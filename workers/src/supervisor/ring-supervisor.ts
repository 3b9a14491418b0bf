import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger, RedisConfig } from '@tessera/config';
import { openRedis, poolName, readRingSignals, releaseRunsOfDeadWorker, type RingSignals, type WorkerPool } from '@tessera/job-queue';
import type { RunningWorkerProcess } from '../worker-process';
import { decideWorkers, restartDelayMs, type ScalingState } from './scaling-decision';
import type { RingLimits, SupervisorConfig } from './supervisor-config';

/** One ring the supervisor keeps workers for, and how to start one of its workers. */
export interface SupervisedRing {
  pool: WorkerPool;
  /**
   * Redis as the ring's own workers connect (their ACL user): the supervisor reads the ring's
   * signals and releases a dead worker's runs with exactly what those workers may touch, so a
   * dedicated tenant's supervisor cannot read or move another ring's entries.
   */
  redis: RedisConfig;
  /** Starts one worker process of the ring, named `instanceId` (WORKER_INSTANCE_ID); resolves once it takes jobs. */
  spawn(instanceId: string): Promise<RunningWorkerProcess>;
}

export interface RingWorkerStatus {
  instanceId: string;
  pid: number | undefined;
  state: 'starting' | 'running' | 'retiring';
}

export interface RingStatus {
  ring: string;
  limits: RingLimits;
  desired: number;
  workers: RingWorkerStatus[];
  /** Workers that died without being asked to (kill -9, crash, failed start), since the start. */
  deaths: number;
  /** Entries and leases released right after a death (instead of waiting for their locks to expire). */
  recovered: { entries: number; leases: number };
  signals: RingSignals | undefined;
}

interface Member {
  instanceId: string;
  process: RunningWorkerProcess | undefined;
  startedAt: number;
  retiring: boolean;
}

/**
 * Keeps one ring's worker processes between its min and max: scales on the ring's signals (see
 * decideWorkers), restarts a worker that exits without being asked to, with exponential backoff
 * while they keep dying, and releases a dead worker's queue locks and tenant leases at once so
 * its jobs run again within a stalled check instead of after their locks expire.
 */
export class RingSupervisor {
  readonly ring: string;
  private readonly redis: Redis;
  private readonly members = new Map<string, Member>();
  private readonly logger: Logger;
  private scaling: ScalingState = { idleSince: undefined };
  private desired: number;
  private signals: RingSignals | undefined;
  private deathsInRow = 0;
  private deaths = 0;
  private restartAt = 0;
  private recovered = { entries: 0, leases: 0 };
  private releasing: Promise<void> = Promise.resolve();
  /** Starts in flight: `stop` waits for them, so no worker is left running after it. */
  private readonly spawning = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly spec: SupervisedRing,
    private readonly limits: RingLimits,
    private readonly config: SupervisorConfig,
    logger: Logger,
  ) {
    this.ring = poolName(spec.pool);
    this.logger = logger.child({ ring: this.ring });
    this.redis = openRedis(spec.redis, `supervisor:${this.ring}`, 'request');
    this.desired = limits.min;
  }

  /** Starts the ring's min workers (waiting until they take jobs), then adjusts every interval. */
  async start(): Promise<void> {
    await this.tick(false);
    this.timer = setInterval(() => void this.tick(true), this.config.intervalMs);
  }

  status(): RingStatus {
    return {
      ring: this.ring,
      limits: this.limits,
      desired: this.desired,
      workers: [...this.members.values()].map((m) => ({ instanceId: m.instanceId, pid: m.process?.pid, state: m.retiring ? 'retiring' : m.process ? 'running' : 'starting' })),
      deaths: this.deaths,
      recovered: { ...this.recovered },
      signals: this.signals,
    };
  }

  /** Stops adjusting and stops every worker cleanly (running jobs get their grace period). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.wakeTimer);
    await this.running?.catch(() => undefined);
    await Promise.all([...this.spawning]);
    await Promise.all([...this.members.values()].map((m) => m.process?.stop()));
    await this.releasing;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** One adjustment at a time; a tick asked for during one runs right after it. */
  private tick(readSignals: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.adjust(readSignals)
      .catch((error: unknown) => this.logger.warn('supervisor adjustment failed', { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.tick(false);
        }
      });
    return this.running;
  }

  private async adjust(readSignals: boolean): Promise<void> {
    const alive = () => [...this.members.values()].filter((m) => !m.retiring);
    if (readSignals) {
      try {
        this.signals = await readRingSignals(this.redis, this.spec.redis.keyPrefix, this.spec.pool);
        const decision = decideWorkers({ current: alive().length, signals: this.signals, limits: this.limits, now: Date.now(), state: this.scaling }, this.config);
        this.scaling = { idleSince: decision.idleSince };
        if (decision.desired !== this.desired) {
          this.logger.info('ring scaled', { from: this.desired, to: decision.desired, reason: decision.reason, queued: this.signals.queued, oldestWaitMs: this.signals.oldestWaitMs, running: this.signals.running });
        }
        this.desired = decision.desired;
      } catch (error) {
        // Redis away: keep the workers there are (and restart dead ones), scale again when it answers.
        this.logger.warn('ring signals unreadable', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    const missing = this.desired - alive().length;
    if (missing > 0) {
      const wait = this.restartAt - Date.now();
      if (wait > 0) {
        clearTimeout(this.wakeTimer);
        this.wakeTimer = setTimeout(() => void this.tick(false), wait);
        return;
      }
      // A dead worker's runs are released before its replacement looks at the queues.
      await this.releasing;
      await Promise.all(
        Array.from({ length: missing }, () => {
          const spawned = this.spawnOne();
          this.spawning.add(spawned);
          return spawned.finally(() => this.spawning.delete(spawned));
        }),
      );
    } else if (missing < 0) {
      const newestFirst = alive()
        .filter((m) => m.process)
        .sort((a, b) => b.startedAt - a.startedAt)
        .slice(0, -missing);
      for (const member of newestFirst) {
        member.retiring = true;
        void member.process!.stop();
      }
    }
  }

  private async spawnOne(): Promise<void> {
    const member: Member = { instanceId: `w-${randomBytes(6).toString('hex')}`, process: undefined, startedAt: Date.now(), retiring: false };
    this.members.set(member.instanceId, member);
    let started: RunningWorkerProcess;
    try {
      started = await this.spec.spawn(member.instanceId);
    } catch (error) {
      this.onDeath(member, error instanceof Error ? error.message.split('\n')[0]! : String(error));
      return;
    }
    member.process = started;
    void started.exited.then((code) => this.onDeath(member, `exited (${code})`));
    if (this.stopped) await started.stop();
    else this.logger.info('worker started', { instanceId: member.instanceId, pid: started.pid });
  }

  private onDeath(member: Member, how: string): void {
    this.members.delete(member.instanceId);
    if (member.retiring || this.stopped) return; // asked to stop: not a death
    const now = Date.now();
    this.deaths++;
    this.deathsInRow = now - member.startedAt >= this.config.stableAfterMs ? 1 : this.deathsInRow + 1;
    const delay = restartDelayMs(this.deathsInRow, this.config);
    this.restartAt = now + delay;
    this.logger.warn('worker died; restarting', { instanceId: member.instanceId, pid: member.process?.pid, how, deathsInRow: this.deathsInRow, restartInMs: delay });
    if (member.process) {
      this.releasing = this.releasing.then(async () => {
        try {
          const released = await releaseRunsOfDeadWorker(this.redis, this.spec.redis.keyPrefix, this.spec.pool, member.instanceId);
          this.recovered.entries += released.entries;
          this.recovered.leases += released.leases;
          if (released.entries + released.leases > 0) this.logger.warn('released the dead worker\'s runs', { instanceId: member.instanceId, ...released });
        } catch (error) {
          // Its locks and leases then expire on their own (WORKER_LOCK_MS).
          this.logger.warn('could not release the dead worker\'s runs', { instanceId: member.instanceId, error: error instanceof Error ? error.message : String(error) });
        }
      });
    }
    void this.tick(false);
  }
}

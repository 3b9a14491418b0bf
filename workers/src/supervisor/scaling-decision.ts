import type { RingSignals } from '@tessera/job-queue';
import type { RingLimits, SupervisorConfig } from './supervisor-config';

export interface ScalingState {
  /** Since when the ring has had nothing queued, delayed or running (undefined: busy now). */
  idleSince: number | undefined;
}

export interface ScalingDecision extends ScalingState {
  /** Worker processes the ring should have now, within its limits. */
  desired: number;
  /** Why (for the log line of a change). */
  reason: 'queued' | 'wait' | 'idle' | 'steady' | 'limits';
}

/**
 * One ring's worker count from its signals, the way KEDA's metrics scaler computes replicas
 * (ceil(queued / queuedPerWorker)), plus one more worker per interval while the oldest ready job
 * waits longer than `maxWaitMs` (a few long jobs hold every worker). A busy ring never shrinks:
 * only after `idleMs` with nothing queued, delayed or running does it go back to its min, so a
 * worker is never stopped under a running job by scaling.
 */
export function decideWorkers(
  input: { current: number; signals: RingSignals; limits: RingLimits; now: number; state: ScalingState },
  config: Pick<SupervisorConfig, 'queuedPerWorker' | 'maxWaitMs' | 'idleMs'>,
): ScalingDecision {
  const { current, signals, limits, now } = input;
  const busy = signals.queued + signals.running + signals.delayed > 0;
  const idleSince = busy ? undefined : (input.state.idleSince ?? now);
  const clamp = (n: number) => Math.max(limits.min, Math.min(limits.max, n));
  if (idleSince !== undefined && now - idleSince >= config.idleMs) return { desired: limits.min, idleSince, reason: 'idle' };
  let desired = current;
  let reason: ScalingDecision['reason'] = 'steady';
  const byQueue = Math.ceil(signals.queued / config.queuedPerWorker);
  if (byQueue > desired) {
    desired = byQueue;
    reason = 'queued';
  }
  if (signals.queued > 0 && signals.oldestWaitMs > config.maxWaitMs && desired <= current) {
    desired = current + 1;
    reason = 'wait';
  }
  const clamped = clamp(desired);
  return { desired: clamped, idleSince, reason: clamped !== desired && clamped !== current ? 'limits' : reason };
}

/** Delay before restarting after the `deaths`-th death in a row: base, 2 × base, 4 × base, … up to max. */
export function restartDelayMs(deaths: number, config: Pick<SupervisorConfig, 'restartBackoffMs' | 'restartBackoffMaxMs'>): number {
  if (deaths <= 0) return 0;
  return Math.min(config.restartBackoffMaxMs, config.restartBackoffMs * 2 ** Math.min(deaths - 1, 30));
}

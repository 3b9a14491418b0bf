import { z } from 'zod';
import { ConfigError, parseEnvironment } from '@tessera/config';

/** How many worker processes one ring may have. */
export interface RingLimits {
  min: number;
  max: number;
}

/** The supervisor's settings, parsed once at start (see `readSupervisorEnvironment`). */
export interface SupervisorConfig {
  /** Limits of every ring without its own entry in `rings`. */
  defaults: RingLimits;
  /** Per-ring limits by ring name (`shared-<region>`, `dedicated-<tenant>`). */
  rings: Record<string, RingLimits>;
  /** Ready jobs one worker is expected to absorb: more per worker adds workers (ceil(queued / this)). */
  queuedPerWorker: number;
  /** A ready job waiting longer than this adds one worker per interval (up to max). */
  maxWaitMs: number;
  /** A ring with nothing queued, delayed or running for this long goes back to its min. */
  idleMs: number;
  /** How often each ring's signals are read and its worker count adjusted. */
  intervalMs: number;
  /** First restart delay after a worker died; doubles per death in a row, up to `restartBackoffMaxMs`. */
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  /** A worker that lived this long before it died starts a fresh backoff (it was not crash-looping). */
  stableAfterMs: number;
}

const count = (fallback: number) => z.coerce.number().int().min(0).max(256).default(fallback);
const ms = (fallback: number, min = 0) => z.coerce.number().int().min(min).max(24 * 3600_000).default(fallback);
const limitsShape = z.object({ min: z.number().int().min(0).max(256), max: z.number().int().min(1).max(256) }).strict();

const supervisorVariables = z.object({
  SUPERVISOR_MIN_WORKERS: count(1),
  SUPERVISOR_MAX_WORKERS: count(4),
  // {"dedicated-globex":{"min":1,"max":2}}: a ring's own limits over the two above.
  SUPERVISOR_RING_LIMITS: z
    .string()
    .optional()
    .transform((value, ctx): Record<string, RingLimits> => {
      if (value === undefined || value.trim() === '') return {};
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON: {"<ring>":{"min":1,"max":4}}' });
        return z.NEVER;
      }
      const result = z.record(z.string(), limitsShape).safeParse(parsed);
      if (!result.success) {
        for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || 'value'}: ${issue.message}` });
        return z.NEVER;
      }
      const badNames = Object.keys(result.data).filter((ring) => !/^(shared|dedicated)-[A-Za-z0-9-]{1,80}$/.test(ring));
      for (const ring of badNames) ctx.addIssue({ code: 'custom', message: `${ring}: ring names are shared-<region> or dedicated-<tenant>` });
      return badNames.length > 0 ? z.NEVER : result.data;
    }),
  SUPERVISOR_QUEUED_PER_WORKER: z.coerce.number().int().min(1).max(100_000).default(4),
  SUPERVISOR_MAX_WAIT_MS: ms(10_000, 100),
  SUPERVISOR_IDLE_MS: ms(60_000, 100),
  SUPERVISOR_INTERVAL_MS: ms(2_000, 50),
  SUPERVISOR_RESTART_BACKOFF_MS: ms(1_000, 10),
  SUPERVISOR_RESTART_BACKOFF_MAX_MS: ms(60_000, 10),
  SUPERVISOR_STABLE_AFTER_MS: ms(30_000, 100),
});

/**
 * The supervisor's environment (SUPERVISOR_*), validated as a whole: every problem is reported at
 * once, naming the variable, and limits that cannot hold (min above max, a backoff cap below its
 * start) are refused before any worker starts.
 */
export function readSupervisorEnvironment(env: NodeJS.ProcessEnv = process.env): SupervisorConfig {
  const parsed = parseEnvironment(supervisorVariables, env);
  const problems: string[] = [];
  const defaults = { min: parsed.SUPERVISOR_MIN_WORKERS, max: parsed.SUPERVISOR_MAX_WORKERS };
  if (defaults.max < 1) problems.push(`SUPERVISOR_MAX_WORKERS: must be at least 1 (got ${defaults.max})`);
  if (defaults.min > defaults.max) problems.push(`SUPERVISOR_MIN_WORKERS: ${defaults.min} is above SUPERVISOR_MAX_WORKERS (${defaults.max})`);
  for (const [ring, limits] of Object.entries(parsed.SUPERVISOR_RING_LIMITS)) {
    if (limits.min > limits.max) problems.push(`SUPERVISOR_RING_LIMITS: ${ring}: min ${limits.min} is above max ${limits.max}`);
  }
  if (parsed.SUPERVISOR_RESTART_BACKOFF_MAX_MS < parsed.SUPERVISOR_RESTART_BACKOFF_MS) {
    problems.push(`SUPERVISOR_RESTART_BACKOFF_MAX_MS: ${parsed.SUPERVISOR_RESTART_BACKOFF_MAX_MS} is below SUPERVISOR_RESTART_BACKOFF_MS (${parsed.SUPERVISOR_RESTART_BACKOFF_MS})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    defaults,
    rings: parsed.SUPERVISOR_RING_LIMITS,
    queuedPerWorker: parsed.SUPERVISOR_QUEUED_PER_WORKER,
    maxWaitMs: parsed.SUPERVISOR_MAX_WAIT_MS,
    idleMs: parsed.SUPERVISOR_IDLE_MS,
    intervalMs: parsed.SUPERVISOR_INTERVAL_MS,
    restartBackoffMs: parsed.SUPERVISOR_RESTART_BACKOFF_MS,
    restartBackoffMaxMs: parsed.SUPERVISOR_RESTART_BACKOFF_MAX_MS,
    stableAfterMs: parsed.SUPERVISOR_STABLE_AFTER_MS,
  };
}

export function limitsOf(config: SupervisorConfig, ring: string): RingLimits {
  return config.rings[ring] ?? config.defaults;
}

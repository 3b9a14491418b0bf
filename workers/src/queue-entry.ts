import { z } from 'zod';
import type { JobMessage } from '@tessera/job-queue';
import { isTenantId } from '@tessera/tenancy';

/** Why a queue entry was refused before anything was read or written for it. */
export type QueueEntryRefusal = 'malformed' | 'other-tenant';

/** A queue entry the worker does not act on: nothing runs for it and nobody is audited for it. */
export class QueueEntryRefused extends Error {
  constructor(
    readonly reason: QueueEntryRefusal,
    readonly detail: string,
  ) {
    super(`queue entry refused (${reason}): ${detail}`);
    this.name = 'QueueEntryRefused';
  }
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const traceHeader = z.string().max(512);

/**
 * A queue entry is untrusted input: anyone who can write to Redis can write one. Ids must look
 * like the ids the jobs service makes; fields not listed here (an `actor`, roles) are dropped
 * unread, so nothing but ids and the trace context reaches a run.
 */
const queueEntrySchema = z.object({
  tenantId: z.string().refine(isTenantId, 'not a tenant id'),
  jobId: z.string().regex(uuid, 'not a job id'),
  submission: z.number().int().min(1).max(2_147_483_647),
  trace: z.object({ traceparent: traceHeader.optional(), tracestate: traceHeader.optional() }).optional(),
});

/**
 * The message of an entry taken from `queueTenantId`'s queue, or why it is refused. The tenant is
 * the queue's: an entry naming another tenant (put into this queue by whoever wrote it) is
 * refused, never run in either tenant.
 */
export function readQueueEntry(data: unknown, queueTenantId: string): JobMessage | QueueEntryRefused {
  const parsed = queueEntrySchema.safeParse(data);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(entry)'}: ${issue.message}`).join('; ');
    return new QueueEntryRefused('malformed', detail);
  }
  const { tenantId, jobId, submission, trace } = parsed.data;
  if (tenantId !== queueTenantId) return new QueueEntryRefused('other-tenant', `the entry names tenant ${tenantId} but sits in the queue of ${queueTenantId}`);
  const headers: Record<string, string> = {};
  if (trace?.traceparent !== undefined) headers['traceparent'] = trace.traceparent;
  if (trace?.tracestate !== undefined) headers['tracestate'] = trace.tracestate;
  return { tenantId, jobId, submission, trace: headers };
}

import type { Job } from '../src/data/job.entity';
import { principalOfJob } from '../src/domain/job-principal';
import { QueueEntryRefused, readQueueEntry } from '@tessera/workers';

/** The worker's reading of a queue entry and of a job row's principal, without services. */
describe('queue entries and job principals', () => {
  const jobId = '0b8e3c52-8f5e-4a8e-9d4f-2f0a7c1d9e11';

  it('keeps ids and the trace context, and drops every other field unread', () => {
    const entry = readQueueEntry(
      { tenantId: 'acme', jobId, submission: 2, actor: { subject: 'mallory', roles: ['admin'] }, roles: ['admin'], trace: { traceparent: 'tp', baggage: 'b' } },
      'acme',
    );
    expect(entry).toEqual({ tenantId: 'acme', jobId, submission: 2, trace: { traceparent: 'tp' } });
  });

  it.each([
    ['a job id that is not an id', { tenantId: 'acme', jobId: "x' OR 1=1", submission: 1 }, 'jobId'],
    ['an upper-case job id', { tenantId: 'acme', jobId: jobId.toUpperCase(), submission: 1 }, 'jobId'],
    ['a submission that is not a positive integer', { tenantId: 'acme', jobId, submission: 0 }, 'submission'],
    ['a submission given as text', { tenantId: 'acme', jobId, submission: '1' }, 'submission'],
    ['a tenant id that is not a tenant id', { tenantId: 'ACME;', jobId, submission: 1 }, 'tenantId'],
    ['no object at all', 'run everything', '(entry)'],
  ])('refuses %s as malformed', (_, data, field) => {
    const entry = readQueueEntry(data, 'acme');
    expect(entry).toBeInstanceOf(QueueEntryRefused);
    expect(entry).toMatchObject({ reason: 'malformed', detail: expect.stringContaining(field) });
  });

  it("refuses an entry naming another tenant than the queue's", () => {
    expect(readQueueEntry({ tenantId: 'globex', jobId, submission: 1 }, 'acme')).toMatchObject({ reason: 'other-tenant' });
  });

  const row = (fields: Partial<Job>): Job =>
    ({ id: jobId, submission: 3, createdBy: 'alice', runAsSubject: null, runAsRoles: null, runAsClient: null, ...fields }) as Job;

  it('acts as the principal the row records, keeping only tenant roles', () => {
    const principal = principalOfJob(row({ runAsSubject: 'bob', runAsRoles: 'admin,platform_admin,root', runAsClient: 'cli' }), 'acme');
    expect(principal).toEqual({
      kind: 'user',
      subject: 'bob',
      tenantId: 'acme',
      roles: ['admin'],
      clientId: 'cli',
      requestId: `job-${jobId}-3`,
      sourceIp: undefined,
    });
  });

  it('acts for a row without a recorded principal as its creator with the data_scientist role only', () => {
    expect(principalOfJob(row({}), 'acme')).toMatchObject({ subject: 'alice', roles: ['data_scientist'], clientId: undefined });
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { createServiceTokenSigner, type Principal } from '@tessera/auth';
import { jobsPortClient } from '@tessera/jobs/ports';
import { mutualTlsPortFetch } from '@tessera/service-kit';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { jobView, linearCsv, queueCounts, recordJobEvents, retryJob, submitTraining, uploadDataset, waitForStatus, type JobView } from './job-support';

const inviteMember = 'mutation Invite($input: InviteMemberInput!) { inviteMember(input: $input) { id subject role } }';
const changeMemberRole = 'mutation Change($id: ID!, $role: MemberRole!) { changeMemberRole(id: $id, role: $role) { id role } }';
const removeMember = 'mutation Remove($id: ID!) { removeMember(id: $id) { id } }';
const createServiceAccount = 'mutation CreateAccount($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }';
const deleteServiceAccount = 'mutation DeleteAccount($id: ID!) { deleteServiceAccount(id: $id) { id } }';
const createApiKey = 'mutation CreateKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }';
const revokeApiKey = 'mutation RevokeKey($id: ID!) { revokeApiKey(id: $id) { id status } }';
const apiKeyStatuses = '{ serviceAccounts { apiKeys { id status } } }';

interface Member {
  token: string;
  subject: string;
  memberId: string;
}

interface Key {
  secret: string;
  keyId: string;
  serviceAccountId: string;
}

/**
 * A queued or running job acts for the principal its row records only while that principal still
 * holds access in the tenant: the jobs service reads its standing at each claim and each grant
 * renewal. Real gateway, services, workers, MariaDB and Redis, in ROLE_SOURCE=members (members are
 * checked only there; API keys in both modes). The gateway caches access for a minute here, which
 * the jobs service does not share: nothing below waits for a cache to expire.
 */
describe('jobs stop acting for a principal whose access is gone', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let platformAdmin: string;
  let adminA: Member;
  let adminB: Member;
  let scientistA: Member;
  let inputA: string;
  let inputB: string;
  let accountSeq = 0;

  async function member(tenant: TestTenant, role: 'ADMIN' | 'DATA_SCIENTIST'): Promise<Member> {
    const token = await stack.issueToken({ tenant: tenant.id, roles: [] });
    const subject = String(decodeJwt(token).sub);
    const invited = expectNoErrors(await stack.query<{ inviteMember: { id: string } }>(platformAdmin, inviteMember, { input: { tenantId: tenant.id, subject, role } })).inviteMember;
    return { token, subject, memberId: invited.id };
  }

  async function apiKey(admin: Member): Promise<Key> {
    const account = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin.token, createServiceAccount, { input: { name: `bot-${++accountSeq}`, role: 'DATA_SCIENTIST' } })).createServiceAccount;
    const created = expectNoErrors(await stack.query<{ createApiKey: { secret: string; apiKey: { id: string } } }>(admin.token, createApiKey, { input: { serviceAccountId: account.id } })).createApiKey;
    return { secret: created.secret, keyId: created.apiKey.id, serviceAccountId: account.id };
  }

  async function train(credential: string, datasetVersionId: string, modelName: string, hyperParameters: Record<string, unknown> = { epochs: 5 }): Promise<JobView> {
    const modelType = 'epochs' in hyperParameters && Number(hyperParameters['epochs']) > 100 ? 'MLP' : 'LINEAR_REGRESSION';
    return expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(credential, submitTraining, { input: { datasetVersionId, targetColumn: 'y', featureColumns: ['x1', 'x2', 'x3'], modelType, modelName, hyperParameters } }),
    ).submitTrainingJob;
  }

  async function modelVersionsOf(tenant: TestTenant, jobId: string): Promise<Array<Record<string, unknown>>> {
    return (await stack.adminQuery(`SELECT id, created_by FROM \`${tenant.schema}\`.model_versions WHERE job_id = ?`, [jobId])) as Array<Record<string, unknown>>;
  }

  async function revokedAudits(tenant: TestTenant): Promise<Array<{ actor_subject: string; target_id: string }>> {
    await stack.drainAudit(tenant.id);
    return (await stack.adminQuery(`SELECT actor_subject, target_id FROM \`${tenant.schema}\`.audit_events WHERE action = 'job.principal_revoked' ORDER BY seq`)) as Array<{ actor_subject: string; target_id: string }>;
  }

  beforeAll(async () => {
    // No worker yet: the jobs are queued, their principals changed, and only then claimed.
    stack = await startTestStack({ access: { roleSource: 'members', cacheTtlMs: 60_000 } });
    a = await stack.createTenant({ limits: { costBurst: 60_000 } });
    b = await stack.createTenant({ limits: { costBurst: 60_000 } });
    platformAdmin = await stack.platformAdminToken();
    adminA = await member(a, 'ADMIN');
    adminB = await member(b, 'ADMIN');
    scientistA = await member(a, 'DATA_SCIENTIST');
    inputA = (await uploadDataset(stack, adminA.token, 'input', linearCsv(200))).versionId;
    inputB = (await uploadDataset(stack, adminB.token, 'input', linearCsv(200))).versionId;
  }, 180_000);
  afterAll(() => stack?.stop());

  it('a job whose API key was revoked, whose service account was deleted, or whose member was removed or made a viewer before a worker claimed it ends FAILED PRINCIPAL_REVOKED with no model version; current principals run; tenant B revoking its own keys touches none of A\'s jobs', async () => {
    const revokedKey = await apiKey(adminA);
    const deletedAccountKey = await apiKey(adminA);
    const currentKey = await apiKey(adminA);
    const removed = await member(a, 'DATA_SCIENTIST');
    const downgraded = await member(a, 'DATA_SCIENTIST');
    const keyB = await apiKey(adminB);

    const byRevokedKey = await train(revokedKey.secret, inputA, 'by-revoked-key');
    const byDeletedAccount = await train(deletedAccountKey.secret, inputA, 'by-deleted-account');
    const byRemovedMember = await train(removed.token, inputA, 'by-removed-member');
    const byDowngradedMember = await train(downgraded.token, inputA, 'by-downgraded-member');
    const byCurrentKey = await train(currentKey.secret, inputA, 'by-current-key');
    const byCurrentMember = await train(scientistA.token, inputA, 'by-current-member');
    const byKeyB = await train(keyB.secret, inputB, 'by-key-b');

    expectNoErrors(await stack.query(adminA.token, revokeApiKey, { id: revokedKey.keyId }));
    expectNoErrors(await stack.query(adminA.token, deleteServiceAccount, { id: deletedAccountKey.serviceAccountId }));
    expectNoErrors(await stack.query(adminA.token, removeMember, { id: removed.memberId }));
    expectNoErrors(await stack.query(adminA.token, changeMemberRole, { id: downgraded.memberId, role: 'VIEWER' }));
    // Tenant B revokes its own key; A's key is not B's to revoke (the same NOT_FOUND as an unknown id).
    expectNoErrors(await stack.query(adminB.token, revokeApiKey, { id: keyB.keyId }));
    expect(errorCodes(await stack.query(adminB.token, revokeApiKey, { id: currentKey.keyId }))).toEqual(['NOT_FOUND']);
    const keysA = expectNoErrors(await stack.query<{ serviceAccounts: Array<{ apiKeys: Array<{ id: string; status: string }> }> }>(adminA.token, apiKeyStatuses)).serviceAccounts.flatMap((s) => s.apiKeys);
    expect(keysA.find((k) => k.id === currentKey.keyId)?.status).toBe('ACTIVE');

    const events = await recordJobEvents(stack, a.id);
    try {
      await stack.workers.start({ concurrency: 2 });
      const revoked = [byRevokedKey, byDeletedAccount, byRemovedMember, byDowngradedMember];
      for (const job of revoked) {
        const ended = await waitForStatus(stack, adminA.token, job.id, ['SUCCEEDED', 'FAILED', 'CANCELLED']);
        expect(ended).toMatchObject({ status: 'FAILED', phase: 'failed', result: null, error: { code: 'PRINCIPAL_REVOKED' } });
        expect(await modelVersionsOf(a, job.id)).toEqual([]);
      }
      expect((await jobView(stack, adminA.token, byRevokedKey.id)).error!.message).toMatch(/revoked/);
      expect((await jobView(stack, adminA.token, byDeletedAccount.id)).error!.message).toMatch(/deleted/);
      expect((await jobView(stack, adminA.token, byRemovedMember.id)).error!.message).toMatch(/no longer a member/);
      expect((await jobView(stack, adminA.token, byDowngradedMember.id)).error!.message).toMatch(/role no longer allows/);

      for (const job of [byCurrentKey, byCurrentMember]) {
        expect(await waitForStatus(stack, adminA.token, job.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'])).toMatchObject({ status: 'SUCCEEDED', error: null });
      }
      expect(await modelVersionsOf(a, byCurrentKey.id)).toEqual([expect.objectContaining({ created_by: `service-account:${currentKey.serviceAccountId}` })]);
      expect(await modelVersionsOf(a, byCurrentMember.id)).toEqual([expect.objectContaining({ created_by: scientistA.subject })]);
      // B's own revocation ended B's job, and only B's.
      expect(await waitForStatus(stack, adminB.token, byKeyB.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'])).toMatchObject({ status: 'FAILED', error: { code: 'PRINCIPAL_REVOKED' } });
      expect(await modelVersionsOf(b, byKeyB.id)).toEqual([]);

      // Each end is audited (by the jobs service, in the job's tenant) and published.
      const auditedA = await revokedAudits(a);
      expect(auditedA.map((e) => e.target_id).sort()).toEqual(revoked.map((job) => job.id).sort());
      expect(new Set(auditedA.map((e) => e.actor_subject))).toEqual(new Set(['system:job-principal-check']));
      expect((await revokedAudits(b)).map((e) => e.target_id)).toEqual([byKeyB.id]);
      for (const job of revoked) expect(events.events).toContainEqual(expect.objectContaining({ jobId: job.id, status: 'FAILED', error: expect.objectContaining({ code: 'PRINCIPAL_REVOKED' }) }));
      expect(events.events.some((event) => event.jobId === byKeyB.id)).toBe(false);

      // Not retried: the entries ended, none waits or runs, and each job ran its one claim.
      for (const tenant of [a, b]) await waitForEntryEnded(tenant.id);
      expect((await queueCounts(stack, a.id)).failed).toBe(0);
      for (const job of revoked) expect((await jobView(stack, adminA.token, job.id)).attempts).toBe(1);
    } finally {
      await events.close();
    }

    // A current member's retry runs the job again as that member.
    expectNoErrors(await stack.query(scientistA.token, retryJob, { id: byRemovedMember.id }));
    expect(await waitForStatus(stack, scientistA.token, byRemovedMember.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'])).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(await modelVersionsOf(a, byRemovedMember.id)).toEqual([expect.objectContaining({ created_by: scientistA.subject })]);
  }, 240_000);

  it('a running training whose API key is revoked stops at its next grant renewal, FAILED PRINCIPAL_REVOKED, with no model version', async () => {
    await stack.workers.stopAll();
    // Short leases: the grant lives 10 s and is renewed every 5 s or so.
    await stack.workers.start({ concurrency: 1, lockMs: 3_000 });
    const key = await apiKey(adminA);
    const longData = (await uploadDataset(stack, adminA.token, 'long', linearCsv(3000))).versionId;
    const job = await train(key.secret, longData, 'long-by-key', { epochs: 2000, hiddenUnits: [64, 32], batchSize: 8 });
    for (let view = await jobView(stack, adminA.token, job.id); !(view.phase ?? '').startsWith('epoch'); view = await jobView(stack, adminA.token, job.id)) {
      if (!['QUEUED', 'RUNNING'].includes(view.status)) throw new Error(`the job ended ${view.status} before it trained`);
      await sleep(200);
    }
    expectNoErrors(await stack.query(adminA.token, revokeApiKey, { id: key.keyId }));
    const ended = await waitForStatus(stack, adminA.token, job.id, ['SUCCEEDED', 'FAILED', 'CANCELLED']);
    expect(ended).toMatchObject({ status: 'FAILED', result: null, error: { code: 'PRINCIPAL_REVOKED' } });
    // It stopped part way: far from its 2000 epochs.
    expect(ended.lossHistory.length).toBeGreaterThan(0);
    expect(ended.lossHistory.length).toBeLessThan(2000);
    expect(await modelVersionsOf(a, job.id)).toEqual([]);
    expect((await revokedAudits(a)).map((e) => e.target_id)).toContain(job.id);
    await waitForEntryEnded(a.id);
    expect((await jobView(stack, adminA.token, job.id)).status).toBe('FAILED');
  }, 240_000);

  it("the claim, as a worker makes it: an expired key's job is revoked; a legacy row without a recorded principal runs as before", async () => {
    await stack.workers.stopAll();
    const sign = await createServiceTokenSigner('workers', stack.workerServiceKey);
    const workers = stack.pki.identity((await stack.workers.identity()).leaf);
    const jobs = jobsPortClient({ baseUrl: stack.platform.subgraphs.jobs.url, sign, fetch: mutualTlsPortFetch(workers, 'jobs') });
    const runner: Principal = { kind: 'user', subject: 'system:job-runner', tenantId: a.id, roles: [], clientId: undefined, requestId: 'standing-test', sourceIp: undefined };
    const claim = (jobId: string) => jobs.claim(runner, { jobId, submission: 1, runToken: randomUUID(), startSeq: 1, leaseMs: 30_000 });

    const expiring = await apiKey(adminA);
    const byExpiredKey = await train(expiring.secret, inputA, 'by-expired-key');
    await stack.adminQuery(`UPDATE \`${stack.config.database.controlSchema}\`.api_keys SET expires_at = ? WHERE id = ?`, [new Date(Date.now() - 1000), expiring.keyId]);
    expect(await claim(byExpiredKey.id)).toEqual({ outcome: 'revoked' });
    const ended = await jobView(stack, adminA.token, byExpiredKey.id);
    expect(ended).toMatchObject({ status: 'FAILED', error: { code: 'PRINCIPAL_REVOKED' } });
    expect(ended.error!.message).toMatch(/expired/);
    // Ended once: a second claim of the same submission is stale, and changes nothing.
    expect(await claim(byExpiredKey.id)).toEqual({ outcome: 'stale' });

    // A row from before the principal was recorded: it runs as its creator with the least role, even
    // though that creator (here a removed member) could not submit now.
    const leaving = await member(a, 'DATA_SCIENTIST');
    const legacy = await train(leaving.token, inputA, 'legacy');
    expectNoErrors(await stack.query(adminA.token, removeMember, { id: leaving.memberId }));
    await stack.adminQuery(`UPDATE \`${a.schema}\`.jobs SET run_as_subject = NULL, run_as_roles = NULL, run_as_client = NULL WHERE id = ?`, [legacy.id]);
    const claimed = await claim(legacy.id);
    expect(claimed).toMatchObject({ outcome: 'claimed', runAs: { subject: leaving.subject, roles: ['data_scientist'] } });
  }, 120_000);

  /** The queue holds nothing of the tenant's waiting, running or delayed (the run's entry failed for good). */
  async function waitForEntryEnded(tenantId: string): Promise<void> {
    for (;;) {
      const counts = await queueCounts(stack, tenantId);
      if (counts.waiting === 0 && counts.active === 0 && counts.delayed === 0) return;
      await sleep(200);
    }
  }
});

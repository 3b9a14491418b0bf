import { createJobGrantSigner, createJobGrantVerifier, createServiceTokenSigner, createServiceTokenVerifier, generateServiceKeyPair, principalOfGrant, type JobGrant } from '../src';

/**
 * Job grants and service tokens are signed with the same key of the jobs service; audience and
 * `typ` keep them apart, so neither passes for the other.
 */
describe('job grants', () => {
  const grant: Omit<JobGrant, 'expiresAt'> = {
    tenantId: 'tacme',
    jobId: '00000000-0000-4000-8000-000000000001',
    runToken: 'run-1',
    subject: 'alice',
    roles: ['data_scientist', 'platform_admin'],
    clientId: 'client-1',
    requestId: 'job-00000000-0000-4000-8000-000000000001-1',
    resources: { datasetVersionIds: ['00000000-0000-4000-8000-000000000002'], modelVersionIds: [], outputDatasetName: null, trainedModelName: 'm' },
  };

  it('round-trips, and the principal holds only tenant roles', async () => {
    const jobs = await generateServiceKeyPair();
    const { token, expiresAt } = await (await createJobGrantSigner(jobs.privateJwk))(grant, 60);
    const verified = await createJobGrantVerifier(jobs.publicJwk)(token);
    expect(verified).toMatchObject({ ...grant, expiresAt });
    expect(principalOfGrant(verified)).toMatchObject({ tenantId: 'tacme', subject: 'alice', roles: ['data_scientist'], clientId: 'client-1' });
  });

  it('refuses a service token as a grant and a grant as a service token, though one key signs both', async () => {
    const jobs = await generateServiceKeyPair();
    const serviceToken = await (await createServiceTokenSigner('jobs', jobs.privateJwk))({ port: 'datasets-job', body: '{}' });
    await expect(createJobGrantVerifier(jobs.publicJwk)(serviceToken)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const { token } = await (await createJobGrantSigner(jobs.privateJwk))(grant, 60);
    await expect((await createServiceTokenVerifier({ jobs: jobs.publicJwk }))(token, { port: 'datasets-job', body: '{}' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses every grant when the process holds no key of the jobs service', async () => {
    const jobs = await generateServiceKeyPair();
    const { token } = await (await createJobGrantSigner(jobs.privateJwk))(grant, 60);
    await expect(createJobGrantVerifier(undefined)(token)).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('no-grant-key') });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceUserPolicy, tenantRolePolicy, tenantRoleTrustPolicy } from '../src/store-policies';

// deploy/object-store/ is what an operator applies; the code is what the policy tests run against.
const deployed = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'deploy', 'object-store', name), 'utf8'));

describe('documented object-store policies', () => {
  const roleArn = 'arn:aws:iam::ACCOUNT_ID:role/tessera-tenant-access';

  it('the role policy in deploy/ is the one the tests configure', () => {
    expect(deployed('tenant-role-policy.json')).toEqual(tenantRolePolicy('tessera'));
  });

  it('the AWS trust and service-user policies in deploy/ are the ones the tests configure', () => {
    expect(deployed('tenant-role-trust-policy.aws.json')).toEqual(tenantRoleTrustPolicy('arn:aws:iam::ACCOUNT_ID:user/tessera-service'));
    expect(deployed('service-user-policy.aws.json')).toEqual(serviceUserPolicy('tessera', roleArn));
  });

  it('the service user may only assume the role, and is denied every tenant bucket', () => {
    const policy = serviceUserPolicy('tessera', roleArn);
    const allows = policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action);
    expect(allows).toEqual(['sts:AssumeRole']);
    expect(policy.Statement.find((s) => s.Effect === 'Deny')).toMatchObject({ Action: ['s3:*'], Resource: ['arn:aws:s3:::tessera-*', 'arn:aws:s3:::tessera-*/*'] });
  });
});

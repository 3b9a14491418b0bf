/**
 * The policies the object store must hold for `OBJECT_STORE_CREDENTIALS=sts`, as code so the test
 * store is configured with exactly what deploy/object-store/ documents (a test compares them).
 * Three pieces, the same on AWS, MinIO and Ceph RGW:
 * - the tenant role's permission policy: the ceiling of any session, every `<prefix>-*` bucket;
 * - the session policy sent with each AssumeRole (tenant-session-policy.ts): one bucket;
 * - the service user's own policy: assume the role, and no tenant data with its own key.
 */
export function tenantRolePolicy(bucketPrefix: string) {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: [`arn:aws:s3:::${bucketPrefix}-*`, `arn:aws:s3:::${bucketPrefix}-*/*`] }],
  };
}

/** Who may assume the tenant role: the service's user (AWS `arn:aws:iam::<account>:user/<name>`, RGW `arn:aws:iam:::user/<uid>`). */
export function tenantRoleTrustPolicy(servicePrincipalArn: string) {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: [servicePrincipalArn] }, Action: ['sts:AssumeRole'] }] };
}

/**
 * The service user's identity policy. The explicit Deny matters on stores where the user that
 * created a bucket owns it (RGW, MinIO): ownership would otherwise let the base key read every tenant.
 */
export function serviceUserPolicy(bucketPrefix: string, roleArn: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [roleArn] },
      { Effect: 'Deny', Action: ['s3:*'], Resource: [`arn:aws:s3:::${bucketPrefix}-*`, `arn:aws:s3:::${bucketPrefix}-*/*`] },
    ],
  };
}

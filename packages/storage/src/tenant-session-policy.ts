/**
 * What a service may do in one tenant's bucket while acting for that tenant. The session policy is
 * intersected with the role's own policy by the store, so even a role that allows every
 * `tessera-*` bucket yields credentials for this one bucket only.
 */
export type TenantAccessScope =
  /** Request handling and jobs: objects in the bucket, nothing about the bucket itself. */
  | 'objects'
  /** Provisioning and erasure: additionally create and delete the bucket. */
  | 'bucket-lifecycle';

const bucketActions = ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'];
// Retention: audit checkpoints may be written under Object Lock (AUDIT_CHECKPOINT_RETENTION_DAYS).
const objectActions = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObjectRetention', 's3:GetObjectRetention'];
// The bucket's lifecycle rule (the store aborts uploads left incomplete) is set at provisioning.
const lifecycleActions = ['s3:CreateBucket', 's3:DeleteBucket', 's3:PutLifecycleConfiguration', 's3:GetLifecycleConfiguration'];
// Erasure removes every version and delete marker of a versioned bucket, each by its version id.
const lifecycleBucketActions = ['s3:GetBucketVersioning', 's3:ListBucketVersions'];
const lifecycleObjectActions = ['s3:DeleteObjectVersion'];

export function tenantSessionPolicy(bucketName: string, scope: TenantAccessScope): string {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketName)) throw new Error(`not a bucket name: ${JSON.stringify(bucketName)}`);
  const bucketArn = `arn:aws:s3:::${bucketName}`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: scope === 'bucket-lifecycle' ? [...bucketActions, ...lifecycleActions, ...lifecycleBucketActions] : bucketActions, Resource: [bucketArn] },
      { Effect: 'Allow', Action: scope === 'bucket-lifecycle' ? [...objectActions, ...lifecycleObjectActions] : objectActions, Resource: [`${bucketArn}/*`] },
    ],
  });
}

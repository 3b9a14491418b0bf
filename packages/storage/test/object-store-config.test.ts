import { objectStoreVariables, toObjectStoreConfig } from '@tessera/config';

const base = { S3_ACCESS_KEY: 'tessera-service', S3_SECRET_KEY: 'a-long-secret', S3_ENDPOINT: 'http://minio:9000' };

describe('OBJECT_STORE_CREDENTIALS', () => {
  it('is static unless asked for', () => {
    expect(toObjectStoreConfig(objectStoreVariables.parse(base)).credentials).toEqual({ mode: 'static' });
  });

  it('sts: the STS endpoint defaults to the S3 endpoint, sessions to 15 minutes', () => {
    expect(toObjectStoreConfig(objectStoreVariables.parse({ ...base, OBJECT_STORE_CREDENTIALS: 'sts' })).credentials).toEqual({
      mode: 'sts',
      stsEndpoint: 'http://minio:9000',
      roleArn: undefined,
      sessionSeconds: 900,
    });
    const aws = objectStoreVariables.parse({
      ...base,
      OBJECT_STORE_CREDENTIALS: 'sts',
      OBJECT_STORE_ROLE_ARN: 'arn:aws:iam::123456789012:role/tessera-tenant-access',
      OBJECT_STORE_STS_ENDPOINT: 'https://sts.eu-west-1.amazonaws.com',
      OBJECT_STORE_SESSION_SECONDS: '3600',
    });
    expect(toObjectStoreConfig(aws).credentials).toEqual({ mode: 'sts', stsEndpoint: 'https://sts.eu-west-1.amazonaws.com', roleArn: 'arn:aws:iam::123456789012:role/tessera-tenant-access', sessionSeconds: 3600 });
  });

  it('refuses sessions over an hour or under 15 minutes, unknown modes and malformed role ARNs', () => {
    expect(objectStoreVariables.safeParse({ ...base, OBJECT_STORE_SESSION_SECONDS: '7200' }).success).toBe(false);
    expect(objectStoreVariables.safeParse({ ...base, OBJECT_STORE_SESSION_SECONDS: '60' }).success).toBe(false);
    expect(objectStoreVariables.safeParse({ ...base, OBJECT_STORE_CREDENTIALS: 'root' }).success).toBe(false);
    expect(objectStoreVariables.safeParse({ ...base, OBJECT_STORE_ROLE_ARN: 'tessera-tenant-access' }).success).toBe(false);
  });
});

import { createServer } from 'node:net';
import { isDependencyUnavailable } from '@tessera/errors';
import { AssumeRoleError, assumeRole, assumeRoleBody, parseAssumeRoleResponse } from '../src/sts-client';
import { tenantSessionPolicy } from '../src/tenant-session-policy';

// Response shapes from the AWS STS API reference (AssumeRole) and MinIO's STS docs.
const success = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>DevUser123</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764&amp;bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`;

const refusal = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error>
  <RequestId>x</RequestId>
</ErrorResponse>`;

describe('STS AssumeRole', () => {
  it('builds the form body with the role, session name, session policy and duration', () => {
    const policy = tenantSessionPolicy('tessera-acme', 'objects');
    const body = new URLSearchParams(assumeRoleBody({ endpoint: 'https://sts.amazonaws.com', region: 'us-east-1', baseCredentials: { accessKey: 'a', secretKey: 'b' }, roleArn: 'arn:aws:iam::1:role/r', roleSessionName: 'tessera-acme', policy, durationSeconds: 900 }));
    expect(Object.fromEntries(body)).toEqual({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: 'arn:aws:iam::1:role/r', RoleSessionName: 'tessera-acme', Policy: policy, DurationSeconds: '900' });
  });

  it('leaves RoleArn out when none is configured (MinIO)', () => {
    const body = new URLSearchParams(assumeRoleBody({ endpoint: 'http://x', region: 'us-east-1', baseCredentials: { accessKey: 'a', secretKey: 'b' }, roleSessionName: 'tessera-acme', policy: '{}', durationSeconds: 900 }));
    expect(body.has('RoleArn')).toBe(false);
  });

  it('parses the credentials, decoding XML entities', () => {
    const credentials = parseAssumeRoleResponse(200, success);
    expect(credentials).toEqual({
      accessKey: 'ASIAIOSFODNN7EXAMPLE',
      secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
      sessionToken: 'AQoDYXdzEPT//////////wEXAMPLEtc764&bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW',
      expiresAt: new Date('2019-11-09T13:34:41Z'),
    });
  });

  it('turns an ErrorResponse into an AssumeRoleError carrying the STS code', () => {
    const error = (() => {
      try {
        parseAssumeRoleResponse(403, refusal);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error).toMatchObject({ status: 403, stsCode: 'AccessDenied' });
    expect((error as Error).message).toContain('not authorized');
  });

  it('refuses a 200 answer without usable credentials', () => {
    expect(() => parseAssumeRoleResponse(200, success.replace(/<Expiration>.*<\/Expiration>/, ''))).toThrow(AssumeRoleError);
    expect(() => parseAssumeRoleResponse(200, '<html>proxy</html>')).toThrow(AssumeRoleError);
  });
});

describe('tenant session policy', () => {
  it('names one bucket and its objects, and only lifecycle sessions may create or delete it', () => {
    const objects = JSON.parse(tenantSessionPolicy('tessera-acme', 'objects'));
    const resources = objects.Statement.flatMap((s: { Resource: string[] }) => s.Resource);
    expect(resources).toEqual(['arn:aws:s3:::tessera-acme', 'arn:aws:s3:::tessera-acme/*']);
    const actions = (policy: { Statement: Array<{ Action: string[] }> }) => policy.Statement.flatMap((s) => s.Action);
    for (const lifecycleOnly of ['s3:CreateBucket', 's3:DeleteBucket', 's3:PutLifecycleConfiguration']) expect(actions(objects)).not.toContain(lifecycleOnly);
    expect(actions(objects)).not.toContain('s3:*');
    expect(actions(JSON.parse(tenantSessionPolicy('tessera-acme', 'bucket-lifecycle')))).toEqual(expect.arrayContaining(['s3:CreateBucket', 's3:DeleteBucket']));
  });

  it('refuses a name with wildcards or separators', () => {
    expect(() => tenantSessionPolicy('tessera-*', 'objects')).toThrow();
    expect(() => tenantSessionPolicy('tessera-a/b', 'objects')).toThrow();
  });
});

describe('AssumeRole failures', () => {
  it('an unreachable STS endpoint is a dependency failure (SERVICE_UNAVAILABLE to clients), a refusal is not', async () => {
    // A port nobody listens on: bind, read the port, close.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const unreachable = await assumeRole({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', baseCredentials: { accessKey: 'a', secretKey: 'b' }, roleSessionName: 'tessera-acme', policy: '{}', durationSeconds: 900 }).catch((error: unknown) => error);
    expect(unreachable).toBeInstanceOf(AssumeRoleError);
    expect(isDependencyUnavailable(unreachable)).toBe(true);
    // minio wraps provider errors as Error(…, { cause }); the chain is still recognized.
    expect(isDependencyUnavailable(new Error('Unable to get credentials', { cause: unreachable }))).toBe(true);

    const refused = (() => {
      try {
        return parseAssumeRoleResponse(403, refusal);
      } catch (error) {
        return error;
      }
    })();
    expect(isDependencyUnavailable(refused)).toBe(false);
    const throttled = (() => {
      try {
        return parseAssumeRoleResponse(503, refusal.replace('AccessDenied', 'ServiceUnavailable'));
      } catch (error) {
        return error;
      }
    })();
    expect(isDependencyUnavailable(throttled)).toBe(true);
  });
});

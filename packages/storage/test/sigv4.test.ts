import { signRequest } from '../src/sigv4';

// The worked example of the AWS Signature Version 4 documentation ("Examples of the complete
// Signature Version 4 signing process", IAM ListUsers): same key, date and request, same signature.
describe('SigV4', () => {
  const key = { accessKey: 'AKIDEXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const request = {
    method: 'GET',
    url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: '',
  };
  const when = new Date('2015-08-30T12:36:00Z');

  it('reproduces the documented signature', () => {
    const headers = signRequest(request, key, { region: 'us-east-1', service: 'iam' }, when);
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('signs the session token when there is one, and a different secret gives a different signature', () => {
    const withToken = signRequest(request, { ...key, sessionToken: 'tok' }, { region: 'us-east-1', service: 'iam' }, when);
    expect(withToken['x-amz-security-token']).toBe('tok');
    expect(withToken['authorization']).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,');
    const otherSecret = signRequest(request, { ...key, secretKey: 'other' }, { region: 'us-east-1', service: 'iam' }, when);
    expect(otherSecret['authorization']).not.toBe(signRequest(request, key, { region: 'us-east-1', service: 'iam' }, when)['authorization']);
  });
});

import { decodeProtectedHeader, jwtVerify, importJWK, SignJWT } from 'jose';
import { certificateThumbprint, createInternalContextSigner, createInternalContextVerifier, generateInternalKeyPair } from '../src';

/**
 * The gateway signs internal contexts on node:crypto directly (no jose builder): the tokens must be
 * the JWTs jose writes — same header, claims and ES256 signature encoding — and everything the
 * subgraph's verifier refuses must still be refused.
 */
describe('internal context signing', () => {
  // A context binds to the SHA-256 of the certificate's DER bytes: any bytes stand in for one here.
  const certificate = Buffer.from('the DER bytes of the gateway client certificate');
  const principal = { kind: 'user' as const, subject: 'alice', tenantId: 'tacme', roles: ['viewer' as const], clientId: 'c1', requestId: 'req-12345678', sourceIp: '10.0.0.1' };

  it('writes a compact ES256 JWT that jose and the subgraph verifier accept, once', async () => {
    const keys = await generateInternalKeyPair();
    const sign = await createInternalContextSigner(keys.privateJwk, { clientCertificate: certificate, lifetimeSeconds: 20 });
    const token = await sign(principal, 'datasets');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: keys.publicJwk.kid });
    const { payload } = await jwtVerify(token, await importJWK(keys.publicJwk, 'ES256'), { issuer: 'tessera-gateway', audience: 'datasets' });
    expect(payload).toMatchObject({ kind: 'user', sub: 'alice', tid: 'tacme', roles: ['viewer'], cid: 'c1', rid: 'req-12345678', ip: '10.0.0.1', cnf: { 'x5t#S256': certificateThumbprint(certificate) } });
    expect(payload.exp! - payload.iat!).toBe(20);
    expect(typeof payload.jti).toBe('string');

    const verify = await createInternalContextVerifier(keys.publicJwk, { audience: 'datasets' });
    const hop = { peerCertificateThumbprint: certificateThumbprint(certificate) };
    await expect(verify(token, hop)).resolves.toMatchObject({ kind: 'user', subject: 'alice', tenantId: 'tacme', roles: ['viewer'] });
    await expect(verify(token, hop)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' }); // single use
    await expect(verify(await sign(principal, 'models'), hop)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' }); // another audience
    await expect(verify(await sign(principal, 'datasets'), { peerCertificateThumbprint: 'other' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' }); // another certificate
    const other = await generateInternalKeyPair();
    const foreign = await createInternalContextSigner(other.privateJwk, { clientCertificate: certificate });
    await expect(verify(await foreign(principal, 'datasets'), hop)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' }); // another key
  });

  it('matches what jose’s SignJWT writes, claim for claim', async () => {
    const keys = await generateInternalKeyPair();
    const sign = await createInternalContextSigner(keys.privateJwk, { clientCertificate: certificate });
    const ours = (await jwtVerify(await sign({ kind: 'gateway', requestId: 'r-123456789' }, 'audit'), await importJWK(keys.publicJwk, 'ES256'))).payload;
    const reference = await new SignJWT({ kind: 'gateway', rid: 'r-123456789', cnf: { 'x5t#S256': certificateThumbprint(certificate) } })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('tessera-gateway')
      .setAudience('audit')
      .setSubject('gateway')
      .setJti('x')
      .setIssuedAt(ours.iat!)
      .setExpirationTime(ours.exp!)
      .sign(await importJWK(keys.privateJwk, 'ES256'));
    const theirs = (await jwtVerify(reference, await importJWK(keys.publicJwk, 'ES256'))).payload;
    expect({ ...ours, jti: 'x' }).toEqual(theirs);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  });
});

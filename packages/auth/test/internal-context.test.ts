import { createPrivateKey, sign } from 'node:crypto';
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
  it('refuses every context jose would refuse: other algorithms, tampering, expiry, claims, shape', async () => {
    const keys = await generateInternalKeyPair();
    const privateKey = await importJWK(keys.privateJwk, 'ES256');
    const verify = await createInternalContextVerifier(keys.publicJwk, { audience: 'datasets' });
    const hop = { peerCertificateThumbprint: certificateThumbprint(certificate) };
    const now = Math.floor(Date.now() / 1000);
    const claims = { kind: 'user', tid: 'tacme', roles: ['viewer'], cnf: { 'x5t#S256': certificateThumbprint(certificate) } };
    const build = (edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt, body: Record<string, unknown> = claims, header: Record<string, unknown> = { alg: 'ES256' }) =>
      edit(new SignJWT(body).setProtectedHeader(header as { alg: string }).setIssuer('tessera-gateway').setAudience('datasets').setSubject('alice').setJti(`j-${Math.random()}`).setIssuedAt(now).setExpirationTime(now + 20)).sign(privateKey);
    const refused = async (token: string) => expect(verify(token, hop)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    // The reference token is accepted, so each refusal below is about its one change.
    await expect(verify(await build(), hop)).resolves.toMatchObject({ kind: 'user', tenantId: 'tacme' });
    const good = await build();
    const [h, p, sig] = good.split('.') as [string, string, string];
    const reencode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    await refused(`${h}.${reencode({ ...payload, tid: 'tother' })}.${sig}`); // payload changed
    await refused(`${reencode({ alg: 'none' })}.${p}.`); // unsigned
    await refused(`${reencode({ alg: 'HS256' })}.${p}.${sig}`); // another algorithm, same signature
    await refused(`${h}.${p}.${sig}.extra`);
    await refused(`${h}.${p}`);
    await refused(`${h}.${p}.${Buffer.from('short').toString('base64url')}`);
    await refused(`${h}.${reencode({ ...payload, pad: 'x'.repeat(9000) })}.${sig}`); // oversized
    // A header jose would not even write: a critical extension the verifier does not understand.
    const critHeader = reencode({ alg: 'ES256', crit: ['exp'], exp: 1 });
    const critSignature = sign('sha256', Buffer.from(`${critHeader}.${p}`), { key: createPrivateKey({ key: { ...keys.privateJwk }, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
    await refused(`${critHeader}.${p}.${critSignature.toString('base64url')}`);
    await refused(await build((jwt) => jwt.setExpirationTime(now - 5)));
    await refused(await build((jwt) => jwt.setNotBefore(now + 60)));
    await refused(await build((jwt) => jwt.setIssuer('someone-else')));
    await refused(await build((jwt) => jwt.setAudience(['models', 'audit'])));
    await refused(await build((jwt) => jwt.setExpirationTime(now + 31))); // lifetime above 30 s
    await refused(await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer('tessera-gateway').setAudience('datasets').setIssuedAt(now).setExpirationTime(now + 20).sign(privateKey)); // no jti
    await refused(await build(undefined, { ...claims, cnf: { 'x5t#S256': 'another-certificate' } }));
    await expect(verify(await build((jwt) => jwt.setAudience(['models', 'datasets'])), hop)).resolves.toMatchObject({ kind: 'user' });
  });
});

/**
 * Credentials that must be refused with UNAUTHENTICATED: none, forged (right claims, wrong key),
 * tampered (claims changed under the original signature), expired (signed by a key nobody trusts:
 * the self-test cannot mint a real one), `alg: none`, and a forged API key. Over HTTP, and the
 * forged token at a graphql-ws `connection_init` too.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';
import { gql, type SelftestContext } from './context';
import { decodeJwtParts, type Credential } from './credentials';
import { errorCodes } from './http-client';
import { subscribeOnce } from './ws-client';

function tokenOf(context: SelftestContext): Credential | undefined {
  return [context.a, context.b].find((credential) => credential.kind === 'token');
}

async function signed(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT(payload).setProtectedHeader({ ...header, alg: 'ES256' }).sign(privateKey);
}

function encode(part: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(part), 'utf8').toString('base64url');
}

export async function probeAuthentication(context: SelftestContext, tenantAId: string | undefined): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const real = tokenOf(context);
  const parts = real ? decodeJwtParts(real.secret) : undefined;
  // Without a real token to copy, claims shaped like one (they must be refused all the same).
  const payload = parts?.payload ?? { sub: 'tessera-selftest', tenant: tenantAId ?? 'selftest', roles: ['admin'], iat: now, exp: now + 600 };
  const header = { ...(parts?.header ?? { typ: 'JWT' }) };
  const cases: Array<[string, string | undefined]> = [
    ['no-token', undefined],
    ['forged-token', await signed(header, { ...payload, iat: now, exp: now + 600 })],
    ['expired-token', await signed(header, { ...payload, iat: now - 7_200, nbf: now - 7_200, exp: now - 3_600 })],
    ['alg-none-token', `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...payload, exp: now + 600 })}.`],
  ];
  if (real && parts) {
    const [h, , s] = real.secret.split('.');
    const roles = Array.isArray(payload['roles']) ? [...(payload['roles'] as unknown[]), 'admin'] : ['admin'];
    cases.push(['tampered-token', `${h}.${encode({ ...payload, roles, sub: `${String(payload['sub'] ?? '')}-tampered` })}.${s}`]);
  } else {
    context.log.skip('auth.tampered-token', 'no access token given (both credentials are API keys): nothing to tamper with');
  }
  const apiKey = [context.a, context.b].find((credential) => credential.kind === 'apikey');
  if (apiKey) {
    const [, id, secret] = /^tsk_([0-9a-f]{16})_(.+)$/.exec(apiKey.secret) ?? [];
    cases.push(['forged-api-key', `tsk_${id}_${randomBytes(32).toString('base64url')}`]);
    const flipped = `${secret!.slice(0, -1)}${secret!.endsWith('A') ? 'B' : 'A'}`;
    cases.push(['tampered-api-key', `tsk_${id}_${flipped}`]);
  }
  for (const [name, bearer] of cases) {
    const answer = await gql(context, bearer === undefined ? undefined : { kind: 'token', secret: bearer }, 'query { currentTenant { id } }');
    const codes = errorCodes(answer);
    const ok = !answer.data && codes.length > 0 && codes.every((code) => code === 'UNAUTHENTICATED');
    context.log.expect(`auth.${name}`, ok, `HTTP ${answer.status}, ${codes.join(', ') || 'no error'}${answer.data ? `, data: ${JSON.stringify(answer.data).slice(0, 120)}` : ''}`);
  }
  const forged = cases.find(([name]) => name === 'forged-token')?.[1];
  for (const [name, bearer] of [['ws-no-token', undefined], ['ws-forged-token', forged]] as const) {
    const outcome = await subscribeOnce(context.wsUrl, bearer, 'subscription { jobEvents { jobId } }', {}, { ca: context.transport.ca, windowMs: 3_000 });
    // 4401 is graphql-ws's "Unauthorized" close; anything acknowledged is a failure.
    context.log.expect(`auth.${name}`, !outcome.acknowledged && outcome.closeCode === 4401, `close ${outcome.closeCode ?? '-'} ${outcome.closeReason ?? ''}${outcome.acknowledged ? ' after connection_ack' : ''}`.trim());
  }
}

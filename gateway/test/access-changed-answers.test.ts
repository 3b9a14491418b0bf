import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { redisConnectionOptions } from '@tessera/config';
import { redisUserName } from '@tessera/redis-acl';
import { accessChangedHeader, accessChangesChannel } from '@tessera/tenants/ports';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

const memberFields = 'id subject role';
const listMembers = `{ members { ${memberFields} } }`;
const inviteMember = `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { ${memberFields} } }`;
const changeMemberRole = `mutation($id: ID!, $role: MemberRole!) { changeMemberRole(id: $id, role: $role) { ${memberFields} } }`;
const removeMember = `mutation($id: ID!) { removeMember(id: $id) { ${memberFields} } }`;

interface Member {
  id: string;
  subject: string;
  role: string;
}

/**
 * A membership change must hold on the caller's next request through the gateway that carried it,
 * even when the Redis announcement reaches that gateway later (Redis answers the publisher before
 * it writes to the subscribers; on a loaded host the gateway can serve the next request in
 * between). Here the announcement never arrives at all: the gateway's Redis user loses the
 * channel, so only the tenants service's answer (accessChangedHeader) can drop the cached roles,
 * which live a minute in this stack.
 */
describe('gateway: access changes named in the tenants service\'s answer', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack({ access: { roleSource: 'members', cacheTtlMs: 60_000 } });
    acme = await stack.createTenant();
    redis = new Redis(stack.config.redis.url, { ...redisConnectionOptions(stack.config.redis), lazyConnect: true });
    await redis.connect();
  }, 120_000);
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  const user = async () => {
    const token = await stack.issueToken({ tenant: acme.id, roles: ['viewer'] });
    return { token, subject: String(decodeJwt(token).sub) };
  };
  const subscribers = async () => {
    const reply = (await redis.call('PUBSUB', 'NUMSUB', accessChangesChannel(stack.config.redis.keyPrefix))) as [string, number];
    return Number(reply[1]);
  };

  it('a demotion and a removal hold on the next request with no announcement heard; the header never reaches the client', async () => {
    const platformAdmin = await stack.platformAdminToken();
    // Roles come from the membership here; the tokens claim only `viewer`.
    const first = await user();
    const second = await user();
    const firstMember = expectNoErrors(await stack.query<{ inviteMember: Member }>(platformAdmin, inviteMember, { input: { tenantId: acme.id, subject: first.subject, role: 'ADMIN' } })).inviteMember;

    // The gateway stops hearing announcements: Redis drops its subscription when its user loses the channel.
    expect(await subscribers()).toBe(1);
    await redis.call('ACL', 'SETUSER', redisUserName(stack.config.redis.keyPrefix, 'gateway'), 'resetchannels');
    for (let i = 0; i < 100 && (await subscribers()) > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await subscribers()).toBe(0);
    // Its reconnect (which empties the cache once) is over before anything is cached below.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Cached now: the first admin's role, for a minute.
    expect(errorCodes(await stack.query(first.token, listMembers))).toEqual([]);
    const secondMember = expectNoErrors(await stack.query<{ inviteMember: Member }>(first.token, inviteMember, { input: { subject: second.subject, role: 'ADMIN' } })).inviteMember;
    expect(errorCodes(await stack.query(second.token, listMembers))).toEqual([]);

    // A demotion: refused on the very next request.
    const demote = await stack.query<{ changeMemberRole: Member }>(first.token, changeMemberRole, { id: firstMember.id, role: 'VIEWER' });
    expect(expectNoErrors(demote).changeMemberRole.role).toBe('VIEWER');
    expect(demote.headers.get(accessChangedHeader)).toBeNull();
    expect(errorCodes(await stack.query(first.token, listMembers))).toEqual(['FORBIDDEN']);

    // A removal, by the other admin: refused on the very next request.
    expectNoErrors(await stack.query(second.token, changeMemberRole, { id: firstMember.id, role: 'ADMIN' }));
    expect(errorCodes(await stack.query(first.token, listMembers))).toEqual([]);
    expectNoErrors(await stack.query(first.token, removeMember, { id: secondMember.id }));
    expect(errorCodes(await stack.query(second.token, listMembers))).toEqual(['FORBIDDEN']);

    // None of it travelled over Redis.
    expect(await subscribers()).toBe(0);
  });
});

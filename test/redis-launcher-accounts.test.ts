/** Which Redis user each service of `npm start` connects as (scripts/start/redis-accounts.ts). */
import { readLauncherEnvironment } from '../scripts/start/environment';
import { launcherRedisAccounts } from '../scripts/start/redis-accounts';
import { redisServices, redisUrlUser } from '@tessera/redis-acl';

describe('npm start: Redis accounts', () => {
  it('on a loopback Redis without credentials, each service is its own user, with REDIS_<SERVICE>_PASSWORD or the dev default', () => {
    const env = readLauncherEnvironment({});
    expect(env.redisServiceUsers).toBe(true);
    const accounts = launcherRedisAccounts(env.redisUrl, env.redisServiceUsers, 'tessera', { REDIS_JOBS_PASSWORD: 'from-env' });
    for (const service of redisServices) expect(redisUrlUser(accounts.byService![service]!.url)).toBe(`tessera-${service}`);
    expect(new URL(accounts.byService!.jobs!.url).password).toBe('from-env');
    expect(new URL(accounts.byService!.gateway!.url).password).toBe('tessera-gateway-local-dev');
    // What no service should use: the anonymous URL, refused by the ACL.
    expect(redisUrlUser(accounts.shared.url)).toBe('default');
  });

  it('a REDIS_URL with credentials, or a remote Redis, is one account for everything', () => {
    for (const url of ['redis://app:secret@127.0.0.1:6379', 'rediss://redis.example.com:6380']) {
      const env = readLauncherEnvironment({ REDIS_URL: url });
      expect(env.redisServiceUsers).toBe(false);
      const accounts = launcherRedisAccounts(env.redisUrl, env.redisServiceUsers, 'tessera');
      expect(accounts.byService).toBeUndefined();
      expect(accounts.shared.url).toBe(url);
    }
  });
});

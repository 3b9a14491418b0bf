import type { RedisConfig } from '@tessera/config';

/**
 * The same Redis, reached as another user: `redis://user:password@host:port/db`. Scheme, host, port,
 * database and any query (a later `rediss://` CA option) are kept, so TLS needs no change here.
 */
export function redisUrlAs(baseUrl: string, user: string, password: string): string {
  const url = new URL(baseUrl);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return url.toString().replace(/\/$/, '');
}

export function redisConfigAs(base: RedisConfig, user: string, password: string): RedisConfig {
  return { ...base, url: redisUrlAs(base.url, user, password) };
}

/** The user a URL authenticates as (`default` without one), for messages and checks. */
export function redisUrlUser(url: string): string {
  return decodeURIComponent(new URL(url).username) || 'default';
}

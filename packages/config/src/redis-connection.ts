import { readFileSync } from 'node:fs';
import { ConfigError } from './parse-environment';
import type { RedisConfig } from './shared-config';

/** What every Redis client of the platform adds to its own options (ioredis `RedisOptions`). */
export interface RedisConnectionOptions {
  tls?: { ca: string };
}

const caByFile = new Map<string, string>();

/**
 * The CA certificate(s) in REDIS_TLS_CA_FILE. Configuration holds the path (as for the services'
 * own TLS files); the file is read once per process, by the first Redis client, which every
 * service creates while starting, so a wrong path stops it then. Later connections share the text.
 */
export function readRedisTlsCa(file: string): string {
  let ca = caByFile.get(file);
  if (ca === undefined) {
    try {
      ca = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError([`REDIS_TLS_CA_FILE: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`]);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError([`REDIS_TLS_CA_FILE: ${file} holds no PEM certificate`]);
    caByFile.set(file, ca);
  }
  return ca;
}

/**
 * The connection options a Redis client needs besides the URL: with a `rediss://` URL and a CA
 * file, the server certificate must chain to that CA (and name the URL's host), instead of to the
 * public roots. A `rediss://` URL without a CA file uses the public roots; ioredis turns TLS on
 * from the scheme alone.
 */
export function redisConnectionOptions(config: Pick<RedisConfig, 'url' | 'tlsCaFile'>): RedisConnectionOptions {
  if (!config.tlsCaFile || !isTlsRedisUrl(config.url)) return {};
  return { tls: { ca: readRedisTlsCa(config.tlsCaFile) } };
}

export function isTlsRedisUrl(url: string): boolean {
  return url.startsWith('rediss://');
}

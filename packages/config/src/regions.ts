import { z } from 'zod';
import { ConfigError } from './parse-environment';
import { readCaFile } from './ca-file';
import type { ObjectStoreConfig } from './shared-config';

/**
 * Data residency. A tenant's region decides where its bucket lives and which workers run its
 * jobs. Every service knows the regions the deployment serves (DATA_REGIONS) and its home region
 * (HOME_REGION: where the control plane is, and the store of the S3_* variables); the services
 * that keep objects also hold each other region's store (REGION_OBJECT_STORES). Without
 * REGION_OBJECT_STORES every region's bytes are in the one S3_* store, as before regions had
 * stores of their own. Likewise REGION_DATABASES names each other region's MariaDB server, which
 * holds that region's tenant schemas; without it every tenant schema is on DATABASE_URL's server.
 */
export const regionName = () => z.string().regex(/^[a-z0-9]+(-[a-z0-9]+){0,5}$/, 'must be a region name such as eu-west-1').max(40);

/** A JSON object given as a variable, parsed and then checked by `shape`. */
const jsonVariable = <S extends z.ZodType>(shape: S) =>
  z.string().transform((value, ctx): z.infer<S> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
    const result = shape.safeParse(parsed);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || '(value)'}: ${issue.message}` });
    return z.NEVER;
  });

/** Read by every service (with DATA_REGIONS): which region is home. */
export const regionVariables = z.object({
  // The control plane's region; the S3_* store is its store. Default: the first of DATA_REGIONS.
  HOME_REGION: regionName().optional(),
});

/**
 * JSON object region → "host:port" of the MariaDB server holding that region's tenant schemas.
 * Only an address: every process reaches it with the account and TLS settings it has for
 * DATABASE_URL (the migrator with DATABASE_ADMIN_URL's), so no further secret is distributed and
 * no region's server is reached without TLS. Part of the database variables: every process that
 * touches a tenant schema (services, workers, the migrate step) must route the same way.
 */
export const regionDatabasesVariable = jsonVariable(z.record(regionName(), z.string().regex(/^[A-Za-z0-9_.-]+(:\d{1,5})?$/, 'must be host or host:port'))).optional();

const regionStoreShape = z
  .object({
    endpoint: z.string().url(),
    // The region's own service key; default: S3_ACCESS_KEY / S3_SECRET_KEY (one identity in every region, as with AWS IAM).
    accessKey: z.string().min(3).optional(),
    secretKey: z.string().min(8).optional(),
    // STS endpoint of the region (sts mode); default: the region's endpoint (MinIO, Ceph RGW).
    stsEndpoint: z.string().url().optional(),
    // The role the region's sessions assume; default: OBJECT_STORE_ROLE_ARN.
    roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d*:role\/.+$/, 'must be an IAM role ARN').optional(),
    // CA file the region's store certificate must chain to; default: OBJECT_STORE_TLS_CA_FILE.
    tlsCaFile: z.string().min(1).optional(),
  })
  .strict()
  .refine((store) => (store.accessKey === undefined) === (store.secretKey === undefined), 'accessKey and secretKey go together');

/** Held only by the services that keep objects: it may carry a region's key. */
export const regionObjectStoreVariables = z.object({
  // JSON object region → its store, for every region but HOME_REGION (whose store is S3_*).
  REGION_OBJECT_STORES: jsonVariable(z.record(regionName(), regionStoreShape)).optional(),
});

export type RegionObjectStoreEntry = z.infer<typeof regionStoreShape>;

/** One region's store, as a client is built from it (bucket prefix and session lifetime are the platform's). */
export type RegionObjectStoreConfig = Pick<ObjectStoreConfig, 'endpoint' | 'accessKey' | 'secretKey' | 'credentials' | 'tlsCaFile'> & {
  /** The region SigV4 signs STS calls for (AWS checks it against the endpoint's region). */
  signingRegion: string;
};

export interface RegionsConfig {
  /** Regions tenants may be placed in (DATA_REGIONS). */
  served: string[];
  /** The control plane's region; its store is the S3_* one. */
  home: string;
}

/** `host:port` of a mysql:// URL (port 3306 when it names none). */
export function databaseServerOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '3306'}`;
}

/** A REGION_DATABASES entry as `host:port`. */
export function normalizeDatabaseServer(server: string): string {
  return server.includes(':') ? server : `${server}:3306`;
}

/**
 * The regions whose tenant schemas are on a server of their own (not DATABASE_URL's), region →
 * `host:port`. A region that names the home server, or none, is on the home server. Refuses a
 * separate server without a CA: a region's rows never cross the wire in plain text.
 */
export function toRegionServers(regionDatabases: Record<string, string> | undefined, homeUrl: string, tlsCa: string | undefined, variable = 'DATABASE_TLS_CA_FILE'): Record<string, string> | undefined {
  if (regionDatabases === undefined) return undefined;
  const home = databaseServerOf(homeUrl);
  const separate = Object.entries(regionDatabases)
    .map(([region, server]) => [region, normalizeDatabaseServer(server)] as const)
    .filter(([, server]) => server !== home);
  if (separate.length > 0 && tlsCa === undefined) {
    throw new ConfigError([`REGION_DATABASES: ${separate.map(([region, server]) => `${region} (${server})`).join(', ')} is reached only over TLS, like the home server: set ${variable}`]);
  }
  return Object.fromEntries(separate);
}

/** DATA_REGIONS, HOME_REGION and REGION_DATABASES, checked against each other. */
export function toRegionsConfig(env: { DATA_REGIONS: string[]; DATABASE_URL?: string | undefined; REGION_DATABASES?: Record<string, string> | undefined } & z.infer<typeof regionVariables>): RegionsConfig {
  const problems: string[] = [];
  const served = [...new Set(env.DATA_REGIONS)];
  for (const region of served) if (!regionName().safeParse(region).success) problems.push(`DATA_REGIONS: ${JSON.stringify(region)} is not a region name`);
  if (served.length === 0) problems.push('DATA_REGIONS: names no region');
  const home = env.HOME_REGION ?? served[0] ?? '';
  if (env.HOME_REGION !== undefined && !served.includes(env.HOME_REGION)) problems.push(`HOME_REGION: ${env.HOME_REGION} is not one of DATA_REGIONS (${served.join(', ')})`);
  if (env.REGION_DATABASES !== undefined) {
    const homeServer = env.DATABASE_URL ? databaseServerOf(env.DATABASE_URL) : undefined;
    for (const [region, server] of Object.entries(env.REGION_DATABASES)) {
      if (!served.includes(region)) problems.push(`REGION_DATABASES: ${region} is not one of DATA_REGIONS (${served.join(', ')})`);
      // The home region's schemas stay with the control plane: one server fewer to reason about.
      if (region === home && homeServer !== undefined && normalizeDatabaseServer(server) !== homeServer) {
        problems.push(`REGION_DATABASES: ${region} is HOME_REGION, whose tenant schemas are on DATABASE_URL's server (${homeServer}), not ${normalizeDatabaseServer(server)}`);
      }
    }
    // Once regions have servers, a region left out would silently keep its rows on the home server.
    for (const region of served) {
      if (region !== home && env.REGION_DATABASES[region] === undefined) problems.push(`REGION_DATABASES: ${region} (one of DATA_REGIONS) names no database server; name one (DATABASE_URL's host:port keeps its schemas on the home server)`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { served, home };
}

/**
 * Each region's store from REGION_OBJECT_STORES, completed from the S3_* settings (key, role,
 * CA, credential mode), or undefined when the variable is unset (every region in the S3_* store).
 */
export function toRegionObjectStores(
  env: z.infer<typeof regionObjectStoreVariables>,
  base: Pick<ObjectStoreConfig, 'accessKey' | 'secretKey' | 'credentials' | 'tlsCaFile'>,
  regions: RegionsConfig,
): Record<string, RegionObjectStoreConfig> | undefined {
  if (env.REGION_OBJECT_STORES === undefined) return undefined;
  const problems: string[] = [];
  const stores: Record<string, RegionObjectStoreConfig> = {};
  for (const [region, entry] of Object.entries(env.REGION_OBJECT_STORES)) {
    if (region === regions.home) problems.push(`REGION_OBJECT_STORES: ${region} is HOME_REGION, whose store is S3_ENDPOINT`);
    else if (!regions.served.includes(region)) problems.push(`REGION_OBJECT_STORES: ${region} is not one of DATA_REGIONS (${regions.served.join(', ')})`);
    const tlsCaFile = entry.tlsCaFile ?? base.tlsCaFile;
    const baseCredentials = base.credentials ?? { mode: 'static' as const };
    const credentials = baseCredentials.mode === 'sts' ? { ...baseCredentials, stsEndpoint: entry.stsEndpoint ?? entry.endpoint, roleArn: entry.roleArn ?? baseCredentials.roleArn } : baseCredentials;
    if (tlsCaFile !== undefined) {
      // A CA with an http:// endpoint would be ignored: the operator believes the link is encrypted.
      const plaintext = [entry.endpoint, credentials.mode === 'sts' ? credentials.stsEndpoint : undefined].filter((url) => url !== undefined && !url.startsWith('https://'));
      if (plaintext.length > 0) problems.push(`REGION_OBJECT_STORES: ${region} has a CA file, but ${plaintext.join(' and ')} is not an https:// endpoint`);
      else readCaFile(`REGION_OBJECT_STORES (${region}).tlsCaFile`, tlsCaFile);
    }
    stores[region] = {
      endpoint: entry.endpoint,
      accessKey: entry.accessKey ?? base.accessKey,
      secretKey: entry.secretKey ?? base.secretKey,
      credentials,
      ...(tlsCaFile !== undefined ? { tlsCaFile } : {}),
      signingRegion: region,
    };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return stores;
}

import { serviceNames, type ServiceName } from './table-ownership';

/**
 * The local (development and CI) database URL of each service's account, as
 * scripts/local-services.sh creates them: user `tessera_<service>`, password
 * `tessera-<service>-local-dev`. These passwords are for a developer's own MariaDB only; a
 * deployment sets each service's DATABASE_URL from its secrets. `DATABASE_URL_<SERVICE>` (e.g.
 * DATABASE_URL_GATEWAY) overrides one service's URL.
 */
export function localServiceDatabaseUrls(env: NodeJS.ProcessEnv = process.env, server = '127.0.0.1:3306'): Record<ServiceName, string> {
  return Object.fromEntries(
    serviceNames.map((service) => [service, env[`DATABASE_URL_${service.toUpperCase()}`] ?? `mysql://tessera_${service}:tessera-${service}-local-dev@${server}`]),
  ) as Record<ServiceName, string>;
}

/** The hosts local-services.sh creates each account at (MariaDB tells 127.0.0.1 from localhost). */
export const localAccountHosts = ['127.0.0.1', 'localhost'];

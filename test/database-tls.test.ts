import { createConnection, type ConnectionOptions } from 'mysql2/promise';
import { generateServiceKeyPair } from '@tessera/auth';
import { ConfigError, databaseVariables, migratorVariables, parseEnvironment, toDatabaseConfig, toMigratorConfig } from '@tessera/config';
import { ensureLocalPki } from '@tessera/local-infra';
import { databaseTlsOptions, localAccountHosts, localServiceDatabaseUrls, openMigrationDataSource, openServiceDataSource, serviceNames } from '@tessera/tenancy';
import { readWorkerEnvironment, workerProcessEnvironment } from '@tessera/workers';

/**
 * TLS to MariaDB against the real server (scripts/local-services.sh starts it with the local CA's
 * certificate and makes every Tessera account REQUIRE SSL): each service account and the migrator
 * is refused in plain text, gets an encrypted session with the CA, and is refused by its own
 * client when the server's certificate does not chain to a CA it trusts. The connections the
 * platform opens from its configuration (DATABASE_TLS_CA_FILE) are encrypted.
 */
const pki = ensureLocalPki();
const adminUrl = process.env['DATABASE_ADMIN_URL'] ?? 'mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306';
const accounts: Array<[string, string]> = [['migrator', adminUrl], ...Object.entries(localServiceDatabaseUrls())];

/** The same account URL with another host name: both are names in the server's certificate. */
function atHost(url: string, host: string): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  return parsed.toString();
}

async function attempt(options: ConnectionOptions): Promise<{ user: string; cipher: string } | { refused: string }> {
  let connection;
  try {
    connection = await createConnection({ connectTimeout: 5_000, ...options });
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return { refused: `${String(code)}: ${String(message)}` };
  }
  try {
    const [[user]] = (await connection.query('SELECT CURRENT_USER() AS user')) as unknown as [[{ user: string }]];
    const [[status]] = (await connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as unknown as [[{ Value: string }]];
    return { user: user.user, cipher: status.Value };
  } finally {
    await connection.end();
  }
}

describe('TLS to MariaDB', () => {
  it('covers the migrator and every service account', () => {
    expect(accounts.map(([name]) => name)).toEqual(['migrator', ...serviceNames]);
  });

  describe.each(accounts)('%s', (_name, url) => {
    const user = decodeURIComponent(new URL(url).username);

    it.each(localAccountHosts)('is refused without TLS at %s', async (host) => {
      expect(await attempt({ uri: atHost(url, host) })).toEqual({ refused: expect.stringMatching(/^ER_ACCESS_DENIED_ERROR: /) });
    });

    it.each(localAccountHosts)('gets an encrypted session at %s with the CA, the server name verified', async (host) => {
      const session = await attempt({ uri: atHost(url, host), ...databaseTlsOptions(pki.ca) });
      // MariaDB names a loopback client `localhost` (the account's @localhost twin) whichever name it dialled.
      expect(session).toEqual({ user: expect.stringMatching(new RegExp(`^${user}@(localhost|127\\.0\\.0\\.1)$`)), cipher: expect.stringMatching(/\S/) });
    });

    it('is refused by its own client when the server certificate does not chain to a trusted CA', async () => {
      const refused = await attempt({ uri: url, ssl: { rejectUnauthorized: true } });
      expect(refused).toEqual({ refused: expect.stringMatching(/^HANDSHAKE_SSL_ERROR: .*certificate/i) });
    });
  });

  it('opens the services’ and the migrator’s data sources over TLS from DATABASE_TLS_CA_FILE', async () => {
    const service = toDatabaseConfig(parseEnvironment(databaseVariables, { DATABASE_URL: localServiceDatabaseUrls().datasets, DATABASE_TLS_CA_FILE: pki.caFile }));
    const migrator = toMigratorConfig(parseEnvironment(migratorVariables, { DATABASE_ADMIN_URL: adminUrl, DATABASE_TLS_CA_FILE: pki.caFile }));
    expect([service.tlsCa, migrator.tlsCa]).toEqual([pki.ca, pki.ca]);
    const sources = [await openServiceDataSource({ ...service, controlSchema: 'information_schema' }, []), await openMigrationDataSource(migrator, undefined, [])];
    try {
      for (const source of sources) {
        const [status] = (await source.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as Array<{ Value: string }>;
        expect(status?.Value).toMatch(/\S/);
      }
    } finally {
      await Promise.all(sources.map((source) => source.destroy()));
    }
  });

  it('hands a worker child process the CA file, which its own configuration reads and connects with', async () => {
    const environment = workerProcessEnvironment({
      database: { url: localServiceDatabaseUrls().workers, controlSchema: 'tessera_control', poolSize: 2, tlsCa: pki.ca },
      databaseTlsCaFile: pki.caFile,
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'tessera' },
      ports: { serviceKey: (await generateServiceKeyPair()).privateJwk, jobsUrl: 'https://127.0.0.1:9', datasetsUrl: 'https://127.0.0.1:9', modelsUrl: 'https://127.0.0.1:9' },
      tls: { caFile: pki.caFile, ...pki.files('workers') },
    });
    const worker = readWorkerEnvironment(environment);
    expect(worker.database.tlsCa).toBe(pki.ca);
    // Any schema the account may enter: the point is the session, not the tables.
    const source = await openServiceDataSource({ ...worker.database, controlSchema: 'information_schema' }, []);
    try {
      const [status] = (await source.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as Array<{ Value: string }>;
      expect(status?.Value).toMatch(/\S/);
    } finally {
      await source.destroy();
    }
  });

  it('refuses to start without the CA it was configured with, and the account refuses a service without TLS', async () => {
    expect(() => parseEnvironment(databaseVariables, { DATABASE_TLS_CA_FILE: '/nonexistent/ca.pem' })).toThrow(ConfigError);
    const plain = toDatabaseConfig(parseEnvironment(databaseVariables, { DATABASE_URL: localServiceDatabaseUrls().datasets }));
    expect(plain.tlsCa).toBeUndefined();
    await expect(openServiceDataSource({ ...plain, poolSize: 1 }, [])).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });
});

import { ConfigError } from '@tessera/config';
import { ensureLocalPki } from '@tessera/local-infra';
import { readSubgraphEnvironment, subgraphVariableGroupsOf } from '@tessera/platform';
import type { SubgraphName } from '@tessera/platform';

/**
 * The fewest variables a subgraph service starts with (its certificate from the local CA, the
 * gateway's public key, its database account, and the object store and key provider where its
 * module asks for them): the base the configuration tests add one setting at a time to.
 */
export function minimalSubgraphEnvironment(name: SubgraphName): Record<string, string> {
  const pki = ensureLocalPki();
  const groups = subgraphVariableGroupsOf(name);
  return {
    TLS_CA_FILE: pki.caFile,
    TLS_CERT_FILE: pki.files(name).certFile,
    TLS_KEY_FILE: pki.files(name).keyFile,
    INTERNAL_CONTEXT_PUBLIC_KEY: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }),
    DATABASE_URL: `mysql://tessera_${name}:pw@db.example:3306`,
    ...(groups.includes('storage') ? { S3_ENDPOINT: 'https://s3.us-east-1.example:9000', S3_ACCESS_KEY: 'tessera-service', S3_SECRET_KEY: 'a-long-secret' } : {}),
    ...(groups.includes('storage') || groups.includes('keys') ? { KEY_PROVIDER_URL: 'https://keys.example:8200' } : {}),
  };
}

/** What starting the service with `env` would refuse, one problem a line ('' when it starts). */
export function subgraphEnvironmentProblems(name: SubgraphName, env: Record<string, string>): string {
  try {
    readSubgraphEnvironment(name, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  return '';
}

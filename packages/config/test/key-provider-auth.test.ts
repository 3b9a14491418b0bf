/** KEY_PROVIDER_AUTH and its inputs: each method takes exactly its own variables, every problem named. */
import { ConfigError, keyProviderVariables, parseEnvironment, toKeyProviderConfig } from '../src';

const base = { KEY_PROVIDER_URL: 'https://keys:8200' };
const parse = (env: Record<string, string>) => toKeyProviderConfig(parseEnvironment(keyProviderVariables, { ...base, ...env }));
const problems = (env: Record<string, string>): string[] => {
  try {
    parse(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('KEY_PROVIDER_AUTH', () => {
  it('defaults to token (none: the certificate alone)', () => {
    expect(parse({}).auth).toEqual({ method: 'token', token: undefined });
    expect(parse({ KEY_PROVIDER_TOKEN: 'hvs.x' }).auth).toEqual({ method: 'token', token: 'hvs.x' });
  });

  it('approle: role id and exactly one of secret id or its file; mount defaults to approle', () => {
    expect(parse({ KEY_PROVIDER_AUTH: 'approle', KEY_PROVIDER_APPROLE_ROLE_ID: 'r', KEY_PROVIDER_APPROLE_SECRET_ID: 's' }).auth).toEqual({ method: 'approle', mount: 'approle', roleId: 'r', secretId: 's', secretIdFile: undefined });
    expect(parse({ KEY_PROVIDER_AUTH: 'approle', KEY_PROVIDER_AUTH_MOUNT: 'approle-prod', KEY_PROVIDER_APPROLE_ROLE_ID: 'r', KEY_PROVIDER_APPROLE_SECRET_ID_FILE: '/run/secret' }).auth).toMatchObject({ mount: 'approle-prod', secretIdFile: '/run/secret' });
    expect(problems({ KEY_PROVIDER_AUTH: 'approle' })).toEqual([
      'KEY_PROVIDER_APPROLE_ROLE_ID: required when KEY_PROVIDER_AUTH is approle',
      'KEY_PROVIDER_APPROLE_SECRET_ID: exactly one of it and KEY_PROVIDER_APPROLE_SECRET_ID_FILE is required when KEY_PROVIDER_AUTH is approle',
    ]);
    expect(problems({ KEY_PROVIDER_AUTH: 'approle', KEY_PROVIDER_APPROLE_ROLE_ID: 'r', KEY_PROVIDER_APPROLE_SECRET_ID: 's', KEY_PROVIDER_APPROLE_SECRET_ID_FILE: '/f' })).toHaveLength(1);
  });

  it('kubernetes: the role, the JWT file defaulting to the pod\'s service-account token', () => {
    expect(parse({ KEY_PROVIDER_AUTH: 'kubernetes', KEY_PROVIDER_KUBERNETES_ROLE: 'datasets' }).auth).toEqual({ method: 'kubernetes', mount: 'kubernetes', role: 'datasets', jwtFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' });
    expect(problems({ KEY_PROVIDER_AUTH: 'kubernetes' })).toEqual(['KEY_PROVIDER_KUBERNETES_ROLE: required when KEY_PROVIDER_AUTH is kubernetes']);
  });

  it("refuses another method's inputs instead of ignoring them, and unknown methods", () => {
    expect(problems({ KEY_PROVIDER_AUTH: 'kubernetes', KEY_PROVIDER_KUBERNETES_ROLE: 'd', KEY_PROVIDER_TOKEN: 't', KEY_PROVIDER_APPROLE_ROLE_ID: 'r' })).toEqual([
      'KEY_PROVIDER_TOKEN: set, but KEY_PROVIDER_AUTH is kubernetes',
      'KEY_PROVIDER_APPROLE_ROLE_ID: set, but KEY_PROVIDER_AUTH is kubernetes',
    ]);
    expect(problems({ KEY_PROVIDER_APPROLE_SECRET_ID: 's' })).toEqual(['KEY_PROVIDER_APPROLE_SECRET_ID: set, but KEY_PROVIDER_AUTH is token']);
    expect(() => parse({ KEY_PROVIDER_AUTH: 'ldap' })).toThrow(/KEY_PROVIDER_AUTH: .*\(got "ldap"\)/);
    // The secret is never echoed in a configuration error.
    expect(() => parse({ KEY_PROVIDER_AUTH: 'approle', KEY_PROVIDER_APPROLE_ROLE_ID: 'r', KEY_PROVIDER_APPROLE_SECRET_ID: '' })).toThrow(/KEY_PROVIDER_APPROLE_SECRET_ID: .*\(got "\*\*\*"\)/);
  });
});

import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses environment variables once, at start-up, against a zod schema whose keys are the
 * variable names. Every problem is reported together, each naming its variable, so a bad
 * deployment fails fast with one readable message instead of one error per restart.
 */
export function parseEnvironment<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const value = env[String(issue.path[0] ?? '')];
    const shown = value === undefined ? 'not set' : `got ${JSON.stringify(isSecretName(variable) ? '***' : value)}`;
    return `${variable}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}

// The key provider's and key service's settings name a key, they hold none (KEY_PROVIDER_TOKEN does).
const keySettingNames = /^KEY_(PROVIDER_(URL|KEY_NAME|MOUNT|TLS_CA_FILE|AUTH|AUTH_MOUNT|APPROLE_SECRET_ID_FILE|KUBERNETES_ROLE|KUBERNETES_JWT_FILE)|SERVICE_(PORT|STATE_DIR|KEYS|ALLOWED_CLIENTS|ADMIN_CLIENTS|AUTH_FILE))$/;

/** Values never echoed in a configuration error (REGION_OBJECT_STORES may hold a region's key). */
function isSecretName(name: string): boolean {
  return /KEY|SECRET|PASSWORD|TOKEN|REGION_OBJECT_STORES/i.test(name) && !keySettingNames.test(name);
}

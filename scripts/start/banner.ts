import { demoTenants, type DemoUser } from './demo-users';

export interface BannerInput {
  graphqlUrl: string;
  /** The web console; users sign in at the issuer with a demo user's name and client secret. */
  consoleUrl?: string;
  /** Each demo user's console password (its client secret), printed with its token. */
  consolePasswords?: Record<string, string>;
  issuerUrl: string;
  tokenEndpoint: string;
  s3Endpoint: string;
  s3Directory: string;
  secretsFile: string;
  /** The local CA certificate: clients trust it for the gateway's HTTPS (curl --cacert). */
  caFile: string;
  tokens: Array<{ user: DemoUser; token: string }>;
  curlUser: { clientId: string; clientSecret: string };
  tokenTtlHours: number;
  /** The demo model registered in acme (name, alias, input tensor name), for the predict example. */
  demoModel?: { name: string; alias: string; inputName: string };
}

/** The predict example: one iris flower (a virginica) scored by the demo model. */
export function demoPredictQuery(model: { name: string; alias: string; inputName: string }): string {
  return (
    `{ predict(input: { modelName: "${model.name}", alias: "${model.alias}", ` +
    `inputs: [{ name: "${model.inputName}", shape: [1, 4], data: [6.3, 3.3, 6.0, 2.5] }] }) ` +
    '{ outputs { name shape data } modelVersion { number } batchSize } }'
  );
}

/** What a developer needs after `npm start`, as plain text for stdout. */
export function renderBanner(input: BannerInput): string {
  const sandbox = `https://studio.apollographql.com/sandbox/explorer?endpoint=${encodeURIComponent(input.graphqlUrl)}`;
  const viewer = input.tokens.find((entry) => entry.user.clientId === input.curlUser.clientId);
  const width = Math.max(...input.tokens.map((entry) => entry.user.clientId.length));
  const query = '{ datasets { edges { node { name latestVersion { number rowCount } } } } }';
  const lines = [
    '',
    'Tessera is running.',
    '',
    `  GraphQL gateway   ${input.graphqlUrl}   (HTTPS/WSS, certificate of the local CA ${input.caFile};`,
    '                     the gateway reaches every subgraph over mutual TLS)',
    ...(input.consoleUrl
      ? [
          `  Web console       ${input.consoleUrl}   (sign in as a demo user below: user name = its name,`,
          `                     password = the console password printed with it, its client secret in ${input.secretsFile})`,
        ]
      : []),
    `  Apollo Sandbox    ${sandbox}`,
    `                    (the gateway's own landing page at ${input.graphqlUrl} also embeds Sandbox;`,
    '                     add the header  Authorization: Bearer <token>  under Connection settings;',
    `                     a browser trusts the gateway once ${input.caFile} is imported as a CA)`,
    `  OIDC issuer       ${input.issuerUrl}   (token endpoint ${input.tokenEndpoint})`,
    `  S3 (s3rver)       ${input.s3Endpoint}   (objects kept in ${input.s3Directory})`,
    '  Job workers       child processes under the worker supervisor, per ring (the shared pool, each dedicated tenant): restarted when they die, scaled by queue depth and wait (SUPERVISOR_*).',
    '',
    'Demo tenants',
    ...demoTenants.map((tenant) => `  ${tenant.id.padEnd(8)} ${tenant.region.padEnd(10)} ${tenant.tier}`),
    '',
    `Access tokens (valid ${input.tokenTtlHours} hours; send as  Authorization: Bearer <token>)`,
  ];
  for (const { user, token } of input.tokens) {
    const who = user.tenant ? `tenant ${user.tenant}, role ${user.role}` : `no tenant, role ${user.role}`;
    const password = input.consolePasswords?.[user.clientId];
    lines.push(`  ${user.clientId.padEnd(width)}  ${who}${password ? `   (console password: ${password})` : ''}`, `    ${token}`);
  }
  lines.push(
    '',
    `Try it: list acme's datasets with their latest version's row count, as ${input.curlUser.clientId}`,
    `  curl -s --cacert ${input.caFile} ${input.graphqlUrl} \\`,
    "    -H 'content-type: application/json' \\",
    `    -H 'authorization: Bearer ${viewer?.token ?? '<token>'}' \\`,
    `    --data '${JSON.stringify({ query })}'`,
    '',
    ...(input.demoModel
      ? [
          `Predict with the demo model ${input.demoModel.name} (alias ${input.demoModel.alias}; scores are [setosa, versicolor, virginica]),`,
          `as ${input.curlUser.clientId} (the same query works in Sandbox):`,
          `  curl -s --cacert ${input.caFile} ${input.graphqlUrl} \\`,
          "    -H 'content-type: application/json' \\",
          `    -H 'authorization: Bearer ${viewer?.token ?? '<token>'}' \\`,
          `    --data '${JSON.stringify({ query: demoPredictQuery(input.demoModel) })}'`,
          '',
        ]
      : []),
    'A new token (client_credentials; the client id is the demo user name, every client secret is in',
    `${input.secretsFile} under "clientSecrets"):`,
    `  curl -s --cacert ${input.caFile} ${input.tokenEndpoint} -d grant_type=client_credentials -d client_id=${input.curlUser.clientId} -d client_secret=${input.curlUser.clientSecret}`,
    '  (the token is the "access_token" field of the JSON answer)',
    '',
    'Press Ctrl-C to stop.',
    '',
  );
  return lines.join('\n');
}

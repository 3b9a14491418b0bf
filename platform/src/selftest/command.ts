/**
 * `tessera selftest --url <gateway> --tenant-a <credential> --tenant-b <credential> [--ca <file>]
 * [--schema <sdl file>] [--json <file>] [--format table|json] [--no-job] [--no-flood] [--checks …]`.
 * Exit codes: 0 every check passed, 1 a check failed, 2 bad usage (nothing was sent).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CredentialError, parseCredential } from './credentials';
import { renderTable } from './report';
import { runSelftest, selftestGroups, type SelftestGroup, type SelftestOptions } from './run-selftest';

export const selftestUsage = `usage: tessera selftest --url <https://gateway/graphql> --tenant-a <credential> --tenant-b <credential>
       [--ca <pem file>] [--schema <sdl file>] [--json <file>] [--format table|json] [--no-job] [--no-flood]
       [--checks tls,auth,isolation,limits]
  a credential is an access token (JWT) or an API key (tsk_…), optionally prefixed token: or apikey:,
  or @<file> to read it from a file (keeps it out of the process list). Tenant A's needs the admin role
  (it creates and deletes); tenant B's should be admin too, so B's attempts pass the role rules and
  reach the tenant checks. Environment: SELFTEST_TENANT_A, SELFTEST_TENANT_B stand for the flags.`;

export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string }
  | { kind: 'run'; options: SelftestOptions; format: 'table' | 'json'; jsonFile: string | undefined };

/** The command line as options, reading the files it names with `readFile`; sends nothing. */
export function parseSelftestArgs(argv: string[], env: NodeJS.ProcessEnv, readFile: (path: string) => string): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        'tenant-a': { type: 'string' },
        'tenant-b': { type: 'string' },
        ca: { type: 'string' },
        schema: { type: 'string' },
        json: { type: 'string' },
        format: { type: 'string' },
        'no-job': { type: 'boolean' },
        'no-flood': { type: 'boolean' },
        checks: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    return { kind: 'usage-error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values['help']) return { kind: 'help' };
  const url = values['url'] as string | undefined;
  const rawA = (values['tenant-a'] as string | undefined) || env['SELFTEST_TENANT_A'];
  const rawB = (values['tenant-b'] as string | undefined) || env['SELFTEST_TENANT_B'];
  const format = (values['format'] as string | undefined) ?? 'table';
  if (!url || !rawA || !rawB) return { kind: 'usage-error', message: '--url, --tenant-a and --tenant-b are required' };
  if (format !== 'table' && format !== 'json') return { kind: 'usage-error', message: `--format is table or json, not ${format}` };
  const groups = ((values['checks'] as string | undefined) ?? selftestGroups.join(',')).split(',').map((group) => group.trim());
  const unknownGroups = groups.filter((group) => !(selftestGroups as readonly string[]).includes(group));
  if (unknownGroups.length > 0) return { kind: 'usage-error', message: `unknown check group(s) ${unknownGroups.join(', ')}: choose from ${selftestGroups.join(', ')}` };
  try {
    const parsedUrl = new URL(url);
    if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') return { kind: 'usage-error', message: `--url must be an https URL, not ${url}` };
    return {
      kind: 'run',
      format,
      jsonFile: values['json'] as string | undefined,
      options: {
        url,
        tenantA: parseCredential(rawA, readFile),
        tenantB: parseCredential(rawB, readFile),
        ca: values['ca'] ? readFile(values['ca'] as string) : undefined,
        schemaSdl: values['schema'] ? readFile(values['schema'] as string) : undefined,
        job: !values['no-job'],
        flood: !values['no-flood'],
        groups: groups as SelftestGroup[],
      },
    };
  } catch (error) {
    return { kind: 'usage-error', message: error instanceof CredentialError ? `bad credential: ${error.message}` : error instanceof Error ? error.message : String(error) };
  }
}

export async function runSelftestCommand(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseSelftestArgs(argv, io.env, (path) => readFileSync(path, 'utf8'));
  if (parsed.kind === 'help') {
    io.stdout(`${selftestUsage}\n`);
    return 0;
  }
  if (parsed.kind === 'usage-error') {
    io.stderr(`${parsed.message}\n${selftestUsage}\n`);
    return 2;
  }
  const report = await runSelftest(parsed.options);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (parsed.jsonFile) writeFileSync(parsed.jsonFile, json);
  io.stdout(parsed.format === 'json' ? json : renderTable(report));
  return report.status === 'pass' ? 0 : 1;
}

/**
 * The command line of `tessera` (platform/src/main.ts): which command the arguments name, and the
 * list `tessera --help` prints. `--help`, `-h` and `help`, also after a command other than
 * `selftest`, print it on stdout and exit 0 without starting anything; no command or an unknown one
 * prints it on stderr and exits 2 (bad usage, as `tessera selftest` does).
 */
import { isSubgraphName, subgraphNames } from './subgraph-catalog';

const commandLines: ReadonlyArray<[string, string]> = [
  ['migrate', "run every service's migrations once, as the migrator (DATABASE_ADMIN_URL), then exit"],
  ['keys', 'the local key service: the key-encryption keys (README, Key provider)'],
  ['keys import-master-key', 'move data keys wrapped by the retired master key to the key provider, then exit'],
  ['gateway', 'the GraphQL gateway'],
  ['worker [--dedicated <tenant>]', 'a job worker (the shared pool of its region, or one dedicated tenant)'],
  ['selftest --url … --tenant-a … --tenant-b …', 'isolation self-test of a running gateway (tessera selftest --help)'],
  ...subgraphNames.map((name): [string, string] => [name, `the ${name} subgraph`]),
];

const column = 32;

export const cliUsage = `usage: tessera <command>
${commandLines.map(([command, what]) => (command.length < column - 2 ? `  ${command.padEnd(column - 2)}${what}` : `  ${command}\n${' '.repeat(column)}${what}`)).join('\n')}
Configuration comes from the environment (README, Configuration).`;

export type CliCommand = { kind: 'help' } | { kind: 'usage-error'; message: string } | { kind: 'run'; command: string };

const serviceCommands = new Set(['migrate', 'keys', 'gateway', 'worker', 'selftest']);

export function parseCliCommand(argv: readonly string[]): CliCommand {
  const command = argv[0];
  if (command === undefined || command === '') return { kind: 'usage-error', message: 'name a command' };
  if (command === '--help' || command === '-h' || command === 'help') return { kind: 'help' };
  if (serviceCommands.has(command) || isSubgraphName(command)) {
    // `tessera selftest --help` is the self-test's own; any other command asked for help starts nothing
    // (`tessera migrate --help` ran the migrations wherever the migrator's URL was set).
    if (command !== 'selftest' && argv.slice(1).some((arg) => arg === '--help' || arg === '-h')) return { kind: 'help' };
    return { kind: 'run', command };
  }
  return { kind: 'usage-error', message: `unknown command ${JSON.stringify(command.slice(0, 100))}` };
}

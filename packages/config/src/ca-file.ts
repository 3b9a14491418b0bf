import { readFileSync } from 'node:fs';
import { ConfigError } from './parse-environment';

const caByFile = new Map<string, string>();

/**
 * The CA certificate(s) in a `*_TLS_CA_FILE` variable, read once per process and shared by every
 * client built from it afterwards. Configuration keeps the path (child processes are handed the
 * same file); the first read happens while the configuration is turned into its typed object, so a
 * wrong path stops the process at start-up, naming the variable.
 */
export function readCaFile(variable: string, file: string): string {
  let ca = caByFile.get(file);
  if (ca === undefined) {
    try {
      ca = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError([`${variable}: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`]);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError([`${variable}: ${file} holds no PEM certificate`]);
    caByFile.set(file, ca);
  }
  return ca;
}

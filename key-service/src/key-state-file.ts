import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const versionSchema = z.object({
  /** 32 random bytes, base64: the KEK version itself. Never leaves this process. */
  key: z.string().refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64'),
  /** Unix seconds. */
  createdAt: z.number().int(),
});

const keySchema = z.object({
  type: z.literal('aes256-gcm96'),
  derived: z.literal(true),
  latestVersion: z.number().int().min(1),
  minDecryptionVersion: z.number().int().min(1),
  minAvailableVersion: z.number().int().min(0),
  /** Vault's `deletion_allowed`: a key is deleted only after it was explicitly configured deletable. */
  deletionAllowed: z.boolean().optional(),
  versions: z.record(z.string().regex(/^\d+$/), versionSchema),
});

const stateSchema = z.object({
  format: z.literal(1),
  keys: z.record(z.string(), keySchema),
});

export type TransitKeyState = z.infer<typeof keySchema>;
export type TransitState = z.infer<typeof stateSchema>;

/**
 * The key service's whole state, one JSON file in its state directory (created 0700 on first
 * start; the file is 0600). Written through a temporary file, fsynced and renamed, so a crash
 * leaves the old state or the new one, never half of either. One process owns a directory.
 */
export class KeyStateFile {
  readonly path: string;

  constructor(readonly directory: string) {
    this.path = join(directory, 'transit-keys.json');
  }

  load(): TransitState {
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    if ((statSync(this.directory).mode & 0o077) !== 0) chmodSync(this.directory, 0o700);
    if (!existsSync(this.path)) return { format: 1, keys: {} };
    if ((statSync(this.path).mode & 0o077) !== 0) chmodSync(this.path, 0o600);
    return stateSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
  }

  save(state: TransitState): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
  }
}

import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { errors, TesseraError } from '@tessera/errors';

export interface UploadSpoolOptions {
  /** Directory the spooled bodies are written to (default: a new private directory under the OS temp dir). */
  dir?: string;
  /** Bytes of upload bodies all tenants together may have on the spool at once (default 4 GiB). */
  totalBytes?: number;
  /** Of those, what one tenant's uploads may hold at once (default a quarter of the total). */
  perTenantBytes?: number;
  /** Told the cause when the spool's disk fails under a body (the client is told only to retry). */
  onDiskFailure?: (cause: unknown) => void;
}

/**
 * A spool file not written to for this long is no upload's: a body still arriving is written at
 * least every transfer idle timeout (or cut), and a whole one is checked and removed within minutes.
 */
const staleSpoolFileMs = 60 * 60 * 1000;

/**
 * Files a process killed mid-upload left in a configured directory (the volume outlives the
 * container): unreadable for good — their keys were in that process's memory — and counted by no
 * spool, so they would fill the volume crash after crash. Removed in the background; errors ignored.
 */
async function removeStaleSpoolFiles(dir: string, olderThanMs: number): Promise<number> {
  let removed = 0;
  try {
    const cutoff = Date.now() - olderThanMs;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(dir, entry.name);
      const stats = await stat(path).catch(() => undefined);
      if (stats && stats.mtimeMs < cutoff) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
  } catch {
    // An unreadable directory fails the first write instead, with its own error.
  }
  return removed;
}

/** How long a refused upload is told to wait before it sends its body again. */
const retryAfterSeconds = 5;

/**
 * Where an upload's body waits until it has all arrived, so that the CSV check (a pool thread)
 * starts only once there is work for it all the way through: a client sending slowly holds bytes
 * here, in proportion to what it sent, never a thread. Bodies are encrypted on the way in
 * (AES-256-GCM under a key and nonce made for the one body and kept only in memory), so what
 * touches the disk is unreadable without this process, and a file left by a crash is unreadable for
 * good. The bytes a body holds are counted as they arrive, against a total and a per-tenant share;
 * past either the body is refused (RATE_LIMITED past the tenant's share, SERVICE_UNAVAILABLE past
 * the total), before the upload is claimed, so the client sends it again.
 */
export class UploadSpool {
  readonly totalBytes: number;
  readonly perTenantBytes: number;
  private readonly configuredDir: string | undefined;
  private readonly onDiskFailure: ((cause: unknown) => void) | undefined;
  private dir: string | undefined;
  private total = 0;
  private readonly byTenant = new Map<string, number>();

  constructor(options: UploadSpoolOptions = {}) {
    this.totalBytes = options.totalBytes ?? 4 * 1024 ** 3;
    this.perTenantBytes = Math.min(this.totalBytes, options.perTenantBytes ?? Math.floor(this.totalBytes / 4));
    if (this.perTenantBytes < 1) throw new RangeError('the upload spool needs room for at least one byte per tenant');
    this.configuredDir = options.dir;
    this.onDiskFailure = options.onDiskFailure;
  }

  /** Removes the directory the spool made for itself (a configured one stays; its files are gone with their uploads). */
  async close(): Promise<void> {
    if (this.dir && !this.configuredDir) await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Made on first use, so a schema-only build of the service touches no disk; made again if it has
   * gone since (a temp-dir cleaner removes an old directory under /tmp), so the spool does not stay
   * broken until the service restarts.
   */
  private directory(): string {
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      return this.dir;
    }
    if (this.configuredDir) {
      mkdirSync(this.configuredDir, { recursive: true, mode: 0o700 });
      this.leftovers = removeStaleSpoolFiles(this.configuredDir, staleSpoolFileMs);
    }
    this.dir = this.configuredDir ?? mkdtempSync(join(tmpdir(), 'tessera-csv-spool-'));
    return this.dir;
  }

  /** The removal of a killed process's files, started on first use (tests wait for it). */
  leftovers: Promise<number> = Promise.resolve(0);

  /** Refuses a size no tenant could ever spool (for createDatasetUpload, before anything is written). */
  assertHoldable(bytes: number): void {
    if (bytes > this.perTenantBytes) {
      throw errors.tooLarge(`byteSize ${bytes} is over the ${this.perTenantBytes} bytes one tenant's uploads may hold in this service at once.`, {
        field: 'byteSize',
        maxBytes: this.perTenantBytes,
      });
    }
  }

  /** Bytes spooled, by everyone or by one tenant. */
  held(tenantId?: string): number {
    return tenantId === undefined ? this.total : (this.byTenant.get(tenantId) ?? 0);
  }

  /**
   * Writes `body` to the spool until it ends or `maxBytes` are in (the rest is left unread: the
   * check that follows refuses a body longer than declared from the bytes it has). Rejects with the
   * body's own error when it breaks off, with a refusal when the spool is full, or with
   * SERVICE_UNAVAILABLE when the spool's disk fails (full, directory gone): that is no fault of the
   * body, so it must not end the upload the way a body that broke off does. `inspect` sees each
   * chunk before it is written; its rejection stops the reading there (the rest of the body is left
   * unread) and is the rejection of `receive`. Nothing is left behind.
   */
  async receive(tenantId: string, body: Readable, maxBytes: number, inspect?: (chunk: Buffer) => Promise<void> | undefined): Promise<SpooledBody> {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    let path: string;
    try {
      path = join(this.directory(), randomUUID());
    } catch (error) {
      throw this.diskFailed(error);
    }
    const file = createWriteStream(path, { mode: 0o600 });
    const fileFailed = once(file, 'error').then(([error]) => Promise.reject(error as Error));
    fileFailed.catch(() => undefined);
    let held = 0;
    const release = () => {
      this.give(tenantId, held);
      held = 0;
    };
    try {
      for await (const chunk of body.iterator({ destroyOnReturn: false })) {
        const bytes = (chunk as Buffer).subarray(0, maxBytes - held);
        // Awaited only while it has work: past the part it looks at, no tick is added per chunk.
        const inspected = inspect?.(bytes);
        if (inspected) await inspected;
        this.take(tenantId, bytes.length);
        held += bytes.length;
        if (!file.write(cipher.update(bytes))) await Promise.race([once(file, 'drain'), fileFailed]);
        if (held >= maxBytes) break;
      }
      cipher.final();
      file.end();
      await Promise.race([once(file, 'finish'), fileFailed]);
    } catch (error) {
      // The file's own failure wins: a body error seen after it is only its consequence.
      const failed = file.errored;
      file.destroy();
      release();
      // The file is opened asynchronously: removed before its open completed, the open would then
      // make it again, left for good. Its close comes after the open, whichever came first.
      if (!file.closed) await once(file, 'close').catch(() => undefined);
      await rm(path, { force: true });
      throw failed ? this.diskFailed(failed) : error;
    }
    return new SpooledBody(path, held, key, nonce, cipher.getAuthTag(), release);
  }

  /** The spool's disk failed under a body: the client retries later, the operator's log gets the cause. */
  private diskFailed(cause: unknown): TesseraError {
    this.onDiskFailure?.(cause);
    const error = new TesseraError('SERVICE_UNAVAILABLE', 'The datasets service cannot hold upload bodies right now; send this upload again shortly.', { retryAfterSeconds });
    // Kept for the log, never in the answer: it names paths of this host.
    Object.defineProperty(error, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
    return error;
  }

  private take(tenantId: string, bytes: number): void {
    const tenantHeld = this.byTenant.get(tenantId) ?? 0;
    if (tenantHeld + bytes > this.perTenantBytes) {
      throw new TesseraError(
        'RATE_LIMITED',
        `Your tenant's uploads in progress already hold ${tenantHeld} bytes of this service's upload spool (at most ${this.perTenantBytes} at once); send this upload again when one has finished.`,
        { retryAfterSeconds, limit: 'csvUploadSpoolPerTenant', limitValue: this.perTenantBytes },
      );
    }
    if (this.total + bytes > this.totalBytes) {
      throw new TesseraError('SERVICE_UNAVAILABLE', 'The datasets service is receiving as many uploads as it can hold right now; send this upload again shortly.', {
        retryAfterSeconds,
        limit: 'csvUploadSpool',
      });
    }
    this.total += bytes;
    this.byTenant.set(tenantId, tenantHeld + bytes);
  }

  private give(tenantId: string, bytes: number): void {
    if (bytes === 0) return;
    this.total -= bytes;
    const left = (this.byTenant.get(tenantId) ?? 0) - bytes;
    if (left > 0) this.byTenant.set(tenantId, left);
    else this.byTenant.delete(tenantId);
  }
}

/** One body on the spool, whole: read it back (decrypted, authenticated at its end), then discard it. */
export class SpooledBody {
  private discarded = false;

  constructor(
    private readonly path: string,
    /** Bytes of the body (at most the `maxBytes` it was received with). */
    readonly size: number,
    private readonly key: Buffer,
    private readonly nonce: Buffer,
    private readonly tag: Buffer,
    private readonly release: () => void,
  ) {}

  /** The body's bytes, as they were received; the stream fails if the file was altered. */
  read(): Readable {
    const decipher = createDecipheriv('aes-256-gcm', this.key, this.nonce);
    decipher.setAuthTag(this.tag);
    // pipeline: the file is closed whichever way the reading ends (a reader that stops early too).
    return pipeline(createReadStream(this.path, { highWaterMark: 64 * 1024 }), decipher, () => undefined);
  }

  /** Removes the file and gives its bytes back to the spool (idempotent). */
  async discard(): Promise<void> {
    if (this.discarded) return;
    this.discarded = true;
    this.key.fill(0);
    this.release();
    await rm(this.path, { force: true });
  }
}

/**
 * The write-ahead log of answered predictions (the outbox of inference stats and audit): one line
 * per call, appended with a plain write(2) before the call's answer leaves the process. A killed
 * process loses nothing it answered: the kernel already holds the bytes, and the next models
 * process started on this directory replays what the database has not recorded yet (see
 * InferenceStatsRecorder.recover). Only a host crash before the page cache reaches the disk can
 * lose lines; that is the price of not calling fsync per prediction.
 *
 * Layout: `<directory>/<pid>-<logId>-<segment>.log`, JSON arrays one per line. A segment is
 * deleted once every line in it is in MySQL; the live segment is touched at every flush, so a
 * file not touched for `staleAfterMs` belongs to a process that is gone even if its pid was reused.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Principal } from '@tessera/auth';

/** One answered (or failed) predict call as logged; `principal` only on the first line of its audit tally in this log. */
export interface LoggedCall {
  seq: number;
  at: number;
  tenantId: string;
  modelId: string;
  versionId: string;
  rows: number;
  batchSize: number;
  latencyMs: number;
  ok: boolean;
  subject: string;
  principal: Principal | undefined;
}

type Line = [number, number, string, string, string, number, number, number, 0 | 1, string, Principal | null];

interface Segment {
  path: string;
  /** Highest sequence number written to it (0: none yet). */
  maxSeq: number;
  /** Bytes appended to it. */
  bytes: number;
}

/** Lines per segment before a new one is started (about 200 bytes a line). */
const segmentLines = 20_000;

/** `<pid>-<logId>-<segment>.log` */
const logFileName = /^(\d+)-([0-9a-f-]{36})-(\d+)\.log$/;

export class PredictionLog {
  readonly logId = randomUUID();
  private seq = 0;
  private fd: number;
  private linesInSegment = 0;
  private segmentNumber = 0;
  private readonly segments: Segment[] = [];

  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.fd = this.openSegment();
  }

  /** Appends one call; returns its sequence number (1, 2, … in this log) and the bytes its line takes. */
  append(call: Omit<LoggedCall, 'seq'>): { seq: number; bytes: number } {
    const seq = ++this.seq;
    const line: Line = [seq, call.at, call.tenantId, call.modelId, call.versionId, call.rows, call.batchSize, call.latencyMs, call.ok ? 1 : 0, call.subject, call.principal ?? null];
    const text = `${JSON.stringify(line)}\n`;
    writeSync(this.fd, text);
    const bytes = Buffer.byteLength(text);
    const live = this.segments[this.segments.length - 1]!;
    live.maxSeq = seq;
    live.bytes += bytes;
    if (++this.linesInSegment >= segmentLines) this.rotate();
    return { seq, bytes };
  }

  /**
   * Bytes this log's files take: its unwritten lines, and the written ones that share a segment
   * with a line not written yet (a segment goes only once all of it is in MySQL).
   */
  get bytes(): number {
    let bytes = 0;
    for (const segment of this.segments) bytes += segment.bytes;
    return bytes;
  }

  /** The last sequence number written. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Every line below `lowestPending` is in MySQL: drops the segments that hold only such lines (the
   * live one too, by starting a new one), and marks this log as alive for other processes.
   */
  release(lowestPending: number): void {
    const live = this.segments[this.segments.length - 1]!;
    if (live.maxSeq > 0 && live.maxSeq < lowestPending) this.rotate();
    while (this.segments.length > 1 && this.segments[0]!.maxSeq < lowestPending) {
      removeFile(this.segments.shift()!.path);
    }
    const now = new Date();
    try {
      utimesSync(this.segments[this.segments.length - 1]!.path, now, now);
    } catch {
      // removed under us (an operator); the next line recreates nothing, but append still works on the fd
    }
  }

  /** After a final flush that wrote everything: the files go too. */
  close(everythingWritten: boolean): void {
    closeSync(this.fd);
    if (!everythingWritten) return;
    for (const segment of this.segments.splice(0)) removeFile(segment.path);
    try {
      // Only when empty: another process's log may still be there.
      rmdirSync(this.directory);
    } catch {
      // not empty, or gone
    }
  }

  private openSegment(): number {
    const path = join(this.directory, `${process.pid}-${this.logId}-${++this.segmentNumber}.log`);
    this.segments.push({ path, maxSeq: 0, bytes: 0 });
    this.linesInSegment = 0;
    return openSync(path, 'a', 0o600);
  }

  private rotate(): void {
    const previous = this.fd;
    this.fd = this.openSegment();
    closeSync(previous);
  }
}

/** The files of one log that another process left behind. */
export interface OrphanedLog {
  logId: string;
  files: string[];
}

/**
 * Logs in `directory` whose writer is gone: its pid is not running here, it is this process's own
 * pid from an earlier life (a container restarted with pid 1 again), or it has not been touched
 * for `staleAfterMs`. `ownLogId` is never returned.
 */
export function orphanedLogs(directory: string, ownLogId: string, staleAfterMs: number): OrphanedLog[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  const byLog = new Map<string, { pid: number; files: string[]; newest: number }>();
  for (const name of names) {
    const match = logFileName.exec(name);
    if (!match || match[2] === ownLogId) continue;
    const path = join(directory, name);
    let mtime = 0;
    try {
      mtime = statSync(path).mtimeMs;
    } catch {
      continue;
    }
    const entry = byLog.get(match[2]!) ?? { pid: Number(match[1]), files: [], newest: 0 };
    entry.files.push(path);
    entry.newest = Math.max(entry.newest, mtime);
    byLog.set(match[2]!, entry);
  }
  const now = Date.now();
  return [...byLog]
    .filter(([, log]) => log.pid === process.pid || !isRunning(log.pid) || now - log.newest > staleAfterMs)
    .map(([logId, log]) => ({ logId, files: log.files.sort((a, b) => segmentOf(a) - segmentOf(b)) }));
}

/**
 * Bytes of the prediction log files in `directory` other than those of `ownLogId`: logs of dead
 * processes not replayed yet, and those of any other process writing there. Read from the files
 * themselves (a directory listing and a stat each), so a log no process has read yet counts too.
 */
export function otherLogsBytes(directory: string, ownLogId: string): number {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return 0;
  }
  let bytes = 0;
  for (const name of names) {
    const match = logFileName.exec(name);
    if (!match || match[2] === ownLogId) continue;
    try {
      bytes += statSync(join(directory, name)).size;
    } catch {
      // removed meanwhile (replayed by another process)
    }
  }
  return bytes;
}

/** A log as read back: its calls in order, how many lines were damaged (skipped), and each tenant's bytes of lines. */
export interface ReadLog {
  calls: LoggedCall[];
  damaged: number;
  bytesByTenant: Map<string, number>;
}

/** Lines parsed between two yields to the event loop (a log can hold hundreds of thousands). */
const linesPerTurn = 5_000;

/**
 * Every complete line of a log's files. A line cut short by the crash was never acknowledged, and
 * a line that is not a call (damaged on disk, written by something else) cannot be counted: both
 * are skipped and counted as damaged. Yields to the event loop every few thousand lines.
 */
export async function readLog(files: string[]): Promise<ReadLog> {
  const calls: LoggedCall[] = [];
  const bytesByTenant = new Map<string, number>();
  let damaged = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    let sinceTurn = 0;
    for (const raw of text.split('\n')) {
      if (raw === '') continue;
      const call = parseLine(raw);
      if (call) {
        calls.push(call);
        bytesByTenant.set(call.tenantId, (bytesByTenant.get(call.tenantId) ?? 0) + Buffer.byteLength(raw) + 1);
      } else damaged += 1;
      if (++sinceTurn >= linesPerTurn) {
        sinceTurn = 0;
        await nextTurn();
      }
    }
    await nextTurn();
  }
  return { calls, damaged, bytesByTenant };
}

function parseLine(raw: string): LoggedCall | undefined {
  let line: unknown;
  try {
    line = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(line) || line.length !== 11) return undefined;
  const [seq, at, tenantId, modelId, versionId, rows, batchSize, latencyMs, ok, subject, principal] = line as unknown[];
  const numbers = [seq, at, rows, batchSize, latencyMs];
  const strings = [tenantId, modelId, versionId, subject];
  if (!numbers.every((value) => typeof value === 'number' && Number.isFinite(value))) return undefined;
  if (!strings.every((value) => typeof value === 'string' && value !== '')) return undefined;
  if ((ok !== 0 && ok !== 1) || (principal !== null && (typeof principal !== 'object' || Array.isArray(principal)))) return undefined;
  return {
    seq: seq as number,
    at: at as number,
    tenantId: tenantId as string,
    modelId: modelId as string,
    versionId: versionId as string,
    rows: rows as number,
    batchSize: batchSize as number,
    latencyMs: latencyMs as number,
    ok: ok === 1,
    subject: subject as string,
    principal: (principal as Principal | null) ?? undefined,
  };
}

export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function segmentOf(path: string): number {
  return Number(/-(\d+)\.log$/.exec(path)?.[1] ?? 0);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A CsvParsePool thread: runs the same CsvProfiler / CsvStreamValidator as the in-process path,
 * one session at a time, one chunk per message, and answers each chunk once it is parsed (the
 * parent sends the next one only then, so nothing piles up here).
 */
import { parentPort } from 'node:worker_threads';
import { isTesseraError } from '@tessera/errors';
import { CsvProfiler } from '../csv-profiler';
import { CsvStreamValidator } from '../csv-stream';
import type { FromWorker, ToWorker, WireError } from './csv-parse-protocol';

interface Session {
  id: number;
  write(bytes: Uint8Array): void;
  end(): void;
  abort(): void;
}

const port = parentPort!;
let current: Session | undefined;

const send = (message: FromWorker) => port.postMessage(message);

function toWire(error: unknown): WireError {
  if (isTesseraError(error)) return { code: error.code, message: error.message, extensions: { ...error.extensions } };
  return { message: error instanceof Error ? error.message : String(error) };
}

function fail(session: number, error: unknown): void {
  if (current?.id === session) {
    current.abort();
    current = undefined;
  }
  send({ type: 'failed', session, error: toWire(error) });
}

function profileSession(id: number, message: Extract<ToWorker, { type: 'open' }>): Session {
  const profiler = new CsvProfiler(message.limits);
  profiler.on('error', () => {}); // reported through the write callbacks and result()
  return {
    id,
    write: (bytes) => profiler.write(bytes, (error) => (error ? fail(id, error) : send({ type: 'ack', session: id }))),
    end: () => {
      profiler.end();
      profiler.result().then(
        (profile) => {
          if (current?.id === id) current = undefined;
          send({ type: 'done', session: id, profile });
        },
        (error: unknown) => fail(id, error),
      );
    },
    abort: () => profiler.destroy(),
  };
}

function rowsSession(id: number, message: Extract<ToWorker, { type: 'open'; mode: 'rows' }>): Session {
  let columns: string[] | undefined;
  let headerSent = false;
  let kept = 0;
  let rows: string[][] = [];
  const validator = new CsvStreamValidator(message.limits, {
    onHeader: (names) => (columns = [...names]),
    onRow: (fields) => {
      if (kept >= message.maxRows) return;
      kept++;
      rows.push([...fields]);
    },
  });
  const take = () => {
    const taken = { ...(columns && !headerSent ? { columns } : {}), ...(rows.length ? { rows } : {}) };
    if (columns) headerSent = true;
    rows = [];
    return taken;
  };
  return {
    id,
    write: (bytes) => validator.write(bytes, (error) => (error ? fail(id, error) : send({ type: 'ack', session: id, ...take() }))),
    end: () =>
      validator.end((error) => {
        if (error) return fail(id, error);
        if (current?.id === id) current = undefined;
        send({ type: 'done', session: id, ...take() });
      }),
    abort: () => validator.destroy(),
  };
}

port.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'open') {
      current?.abort();
      current = message.mode === 'profile' ? profileSession(message.session, message) : rowsSession(message.session, message);
      return;
    }
    if (current?.id !== message.session) return; // a session that already failed or was aborted
    if (message.type === 'chunk') current.write(message.bytes);
    else if (message.type === 'end') current.end();
    else {
      current.abort();
      current = undefined;
    }
  } catch (error) {
    fail(message.session, error);
  }
});

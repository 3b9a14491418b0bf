import { CsvError, Parser, type InfoRecord } from 'csv-parse';
import { errors, isTesseraError, type TesseraError } from '@tessera/errors';
import { columnNameKey, describeBytes, MAX_COLUMN_NAME_LENGTH, type CsvLimits } from './limits';
import { CsvScanner, utf8Size } from './scanner';
import { findInvalidUtf8, pendingSequenceStart } from './utf8';

export type Done = (error?: Error) => void;

interface Prepared {
  text: string;
  pending: Error | undefined;
}

export interface CsvRowHandlers {
  /** The validated header: trimmed column names. */
  onHeader?(columns: readonly string[]): void;
  /** One data row; `fields` has exactly one string per column. */
  onRow(fields: readonly string[]): void;
}

/** The control characters (C0, DEL, C1) a column name may not contain. */
const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The single-pass pipeline shared by CsvProfiler and parseCsvRows:
 *   bytes → size limit → fatal streaming TextDecoder (drops a leading BOM) → CsvScanner (early limits)
 *         → csv-parse (RFC 4180, fixed column count, max_record_size) → header checks → handlers.onRow.
 * Memory is bounded by the chunk being processed plus csv-parse's current record (itself bounded by
 * maxFieldBytes per value and max_record_size); nothing else grows with the file.
 * Every rejection is a TesseraError (BAD_USER_INPUT or PAYLOAD_TOO_LARGE).
 *
 * Callers must not call write() again before the previous callback, nor after an error.
 */
export class CsvStreamValidator {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly scanner: CsvScanner;
  private readonly parser: Parser;
  private bytes = 0;
  private firstByte: number | undefined;
  private utf8Tail: Uint8Array = new Uint8Array(0);
  private started = false; // seen something other than whitespace
  private header: string[] | undefined;
  /**
   * The text most recently given to csv-parse (`text`), preceded by the last few characters before it
   * (`head`: csv-parse may hold back a few bytes until more arrive), kept only to turn csv-parse's byte
   * positions into line numbers. `startByte` / `startLine` are where `head` begins.
   */
  private window = { head: '', text: '', startByte: 0, startLine: 1 };
  private parsedBytes = 0;
  private rows = 0;
  private failure: Error | undefined;

  constructor(
    readonly limits: CsvLimits,
    private readonly handlers: CsvRowHandlers,
  ) {
    this.scanner = new CsvScanner(limits);
    this.parser = new Parser({
      relax_column_count: false,
      // Any of CRLF, LF, CR ends a record, even mixed in one file (csv-parse's auto-detection would fix
      // the first one seen and leave a stray CR inside values); the scanner splits records the same way.
      record_delimiter: ['\r\n', '\n', '\r'],
      // Blank lines are skipped (a null in a one-column file must be written as "").
      skip_empty_lines: true,
      // The largest legitimate record; csv-parse counts it roughly in bytes.
      max_record_size: Math.min(limits.maxBytes, limits.maxColumns * (limits.maxFieldBytes + 3)),
      // Records are handled synchronously inside the parser and never queued on its readable side.
      on_record: (record: unknown, info: InfoRecord) => {
        this.onRecord(record as string[], info.bytes);
        return null;
      },
    });
    this.parser.on('error', () => {}); // reported through the write/end callbacks
    this.parser.resume();
  }

  /** Bytes received so far (the whole file once ended). */
  get byteCount(): number {
    return this.bytes;
  }

  get rowCount(): number {
    return this.rows;
  }

  get columns(): readonly string[] | undefined {
    return this.header;
  }

  write(chunk: Uint8Array, done: Done): void {
    if (this.failure) return done(this.failure);
    let prepared: Prepared;
    try {
      prepared = this.prepare(chunk);
    } catch (error) {
      return done(this.fail(error));
    }
    const { text, pending } = prepared;
    // Whatever precedes a problem is parsed first, so an earlier error in the file is the one reported,
    // however the file happens to be cut into chunks.
    const after = (error?: Error | null) => (error || pending ? done(this.fail(error ?? pending)) : done());
    if (text === '') return after();
    this.parser.write(text, after);
  }

  end(done: Done): void {
    if (this.failure) return done(this.failure);
    let prepared: Prepared;
    try {
      prepared = this.prepare(undefined);
    } catch (error) {
      return done(this.fail(error));
    }
    const pending =
      prepared.pending ??
      (this.started ? this.scanner.finish() : errors.badInput('The file is empty: it has no CSV header and no data rows.'));
    if (pending) return done(this.fail(pending));
    const onError = (error: Error) => {
      this.parser.off('finish', onFinish);
      done(this.fail(error));
    };
    const onFinish = () => {
      this.parser.off('error', onError);
      if (this.rows === 0) return done(this.fail(errors.badInput('CSV has a header but no data rows')));
      done();
    };
    this.parser.once('error', onError);
    this.parser.once('finish', onFinish);
    this.parser.end();
  }

  destroy(): void {
    if (!this.parser.destroyed) this.parser.destroy();
  }

  /**
   * Size check, UTF-8 decoding (`chunk` undefined = end of input), leading-whitespace skip and early
   * limits. Returns the text csv-parse should get next and, if a check failed part-way, the error to
   * raise once csv-parse has parsed that text (which stops just before the problem).
   */
  private prepare(chunk: Uint8Array | undefined): Prepared {
    let pending: Error | undefined;
    let text: string;
    if (chunk === undefined) {
      try {
        text = this.decoder.decode();
      } catch {
        return { text: '', pending: this.notUtf8(new Uint8Array(0), this.bytes, true).error };
      }
    } else {
      const start = this.bytes;
      const room = this.limits.maxBytes - start;
      if (chunk.byteLength > room) {
        pending = errors.tooLarge(`The file is larger than the limit of ${describeBytes(this.limits.maxBytes)}.`, {
          limit: this.limits.maxBytes,
        });
        chunk = chunk.subarray(0, room);
      }
      this.bytes += chunk.byteLength;
      this.firstByte ??= chunk[0];
      try {
        text = this.decoder.decode(chunk, { stream: true });
      } catch {
        const invalid = this.notUtf8(chunk, start, false);
        text = invalid.validText;
        pending = invalid.error;
      }
      this.utf8Tail = lastBytes(this.utf8Tail, chunk, 3);
    }
    if (!this.started) {
      text = this.scanner.skipLeadingWhitespace(text);
      if (text === '') return { text, pending };
      this.started = true;
    }
    if (text === '') return { text, pending };
    // csv-parse's own line counter counts a CRLF inside a quoted value as two lines, so line numbers
    // are derived from its byte positions instead (see lineAt).
    const startLine = this.scanner.pendingCR && text.charCodeAt(0) === 0x0a ? this.scanner.line - 1 : this.scanner.line;
    const violation = this.scanner.scan(text);
    if (violation) {
      text = text.slice(0, violation.index);
      pending = violation.error;
    }
    const previous = this.window;
    const head =
      previous.text.length >= WINDOW_HEAD ? previous.text.slice(-WINDOW_HEAD) : (previous.head + previous.text).slice(-WINDOW_HEAD);
    const headBytes = utf8Length(head);
    this.window = {
      head,
      text,
      startByte: this.parsedBytes - headBytes,
      // text[0] is appended so that a CR ending `head` is seen as half of a CRLF or not.
      startLine: startLine - countLineBreaks(head + text.charAt(0), headBytes),
    };
    this.parsedBytes += Buffer.byteLength(text);
    return { text, pending };
  }

  /**
   * Physical line (1-based, CRLF / LF / CR each one break) of the character at byte `position` of the
   * text given to csv-parse. Exact inside the latest chunk; earlier positions get the chunk's first line.
   * Only called to build an error message.
   */
  private lineAt(position: number): number {
    const { head, text, startByte, startLine } = this.window;
    return startLine + countLineBreaks(head + text, position - startByte);
  }

  /** Where in `chunk` (preceded by the decoder's pending bytes) UTF-8 breaks, the text before it, and the error. */
  private notUtf8(chunk: Uint8Array, chunkStart: number, atEnd: boolean): { error: TesseraError; validText: string } {
    const tail = this.utf8Tail;
    const bytes = Buffer.alloc(tail.length + chunk.length);
    bytes.set(tail, 0);
    bytes.set(chunk, tail.length);
    const from = pendingSequenceStart(tail);
    const index = findInvalidUtf8(bytes, from, atEnd);
    const offset = index < 0 ? chunkStart : chunkStart - tail.length + index;
    // Everything before `index` is complete, valid UTF-8.
    const validText = index <= from ? '' : bytes.toString('utf8', from, index);
    let line = this.scanner.line;
    for (let i = tail.length; i < index; i++) if (bytes[i] === 0x0a) line++;
    const first = offset === 0 ? (this.firstByte ?? chunk[0]) : undefined;
    if (first === 0xff || first === 0xfe) {
      const error = errors.badInput(
        'The file is not UTF-8 text: it starts with a UTF-16 byte order mark. ' +
          'Save or export it as UTF-8 (for example "CSV UTF-8" in Excel) and upload it again.',
        { byteOffset: 0 },
      );
      return { error, validText };
    }
    const error = errors.badInput(
      `The file is not valid UTF-8 text: invalid byte sequence at byte offset ${offset} (around line ${line}). ` +
        'Save or export it as UTF-8 (for example "CSV UTF-8" in Excel) and upload it again.',
      { byteOffset: offset, line },
    );
    return { error, validText };
  }

  /** `end` is csv-parse's byte position just after the record (and its line break, if any). */
  private onRecord(record: string[], end: number): void {
    if (this.header === undefined) {
      this.header = this.validateHeader(record, this.lineAt(end - 1));
      this.handlers.onHeader?.(this.header);
      return;
    }
    if (++this.rows > this.limits.maxRows) {
      const line = this.lineAt(end - 1);
      throw errors.tooLarge(
        `The file has more than ${this.limits.maxRows} data rows (the limit); the first row over it is on line ${line}.`,
        { line, limit: this.limits.maxRows },
      );
    }
    // The scanner already enforced this while the values streamed in; this is the exact backstop.
    const { maxFieldBytes } = this.limits;
    const surelySmall = Math.floor(maxFieldBytes / 3);
    for (let i = 0; i < record.length; i++) {
      const value = record[i]!;
      if (value.length > surelySmall && Buffer.byteLength(value) > maxFieldBytes) {
        const line = this.lineAt(end - 1);
        throw errors.tooLarge(
          `The value in column ${i + 1} (${JSON.stringify(this.header[i])}) on line ${line} is larger than the limit of ${describeBytes(maxFieldBytes)}.`,
          { line, column: i + 1, limit: maxFieldBytes },
        );
      }
    }
    this.handlers.onRow(record);
  }

  private validateHeader(record: string[], line: number): string[] {
    const { maxColumns } = this.limits;
    if (record.length > maxColumns) {
      throw errors.badInput(
        `The header has ${record.length} columns, more than the limit of ${maxColumns}. ` +
          `Split the dataset or drop columns so it has at most ${maxColumns}.`,
        { line, columns: record.length, limit: maxColumns },
      );
    }
    const names: string[] = [];
    const positions = new Map<string, number[]>();
    for (let i = 0; i < record.length; i++) {
      const name = record[i]!.trim();
      const position = i + 1;
      if (name === '') {
        throw errors.badInput(
          `The header (line ${line}) has an empty column name at position ${position}. Every column needs a name.`,
          { line, column: position },
        );
      }
      const length = name.length > MAX_COLUMN_NAME_LENGTH ? [...name].length : name.length; // code points
      if (length > MAX_COLUMN_NAME_LENGTH) {
        throw errors.badInput(
          `The column name at position ${position} (${JSON.stringify(name.slice(0, 32) + '…')}) is ${length} characters long; ` +
            `column names can have at most ${MAX_COLUMN_NAME_LENGTH}.`,
          { line, column: position, limit: MAX_COLUMN_NAME_LENGTH },
        );
      }
      const control = CONTROL_CHAR.exec(name);
      if (control) {
        const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
        const hint = code === '0000' ? ' (A file full of NUL characters is usually UTF-16: save it as UTF-8.)' : '';
        throw errors.badInput(
          `The column name at position ${position} (${JSON.stringify(name)}) contains a control character (U+${code}); remove it.${hint}`,
          { line, column: position },
        );
      }
      names.push(name);
      const key = columnNameKey(name);
      const seen = positions.get(key);
      if (seen) seen.push(position);
      else positions.set(key, [position]);
    }
    const duplicates = [...positions.values()].filter((p) => p.length > 1);
    if (duplicates.length > 0) {
      const listed = duplicates.slice(0, 10).map((p) => {
        const spellings = [...new Set(p.map((i) => JSON.stringify(names[i - 1])))];
        return `${spellings.join(' and ')} (positions ${p.join(', ')})`;
      });
      const more = duplicates.length > 10 ? ` and ${duplicates.length - 10} more` : '';
      throw errors.badInput(
        `The header has duplicate column names: ${listed.join('; ')}${more}. ` +
          'Column names must be unique, ignoring case and surrounding spaces.',
        { line, duplicates: duplicates.flat().map((i) => names[i - 1]!) },
      );
    }
    return names;
  }

  private fail(error: unknown): Error {
    this.failure ??= this.translate(error);
    this.destroy();
    return this.failure;
  }

  private translate(error: unknown): Error {
    if (isTesseraError(error)) return error;
    if (!(error instanceof CsvError)) return error instanceof Error ? error : new Error(String(error));
    // `bytes` is where csv-parse last completed a field or record: for a record-level error it is
    // just past the record's line break; for a quoting error, the start of the field's record or its comma.
    const bytes = typeof error['bytes'] === 'number' ? error['bytes'] : this.parsedBytes;
    const recordLevel = error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || error.code === 'CSV_MAX_RECORD_SIZE';
    const line = this.lineAt(recordLevel ? bytes - 1 : bytes);
    switch (error.code) {
      case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
        const expected = this.header?.length ?? 0;
        const actual = Array.isArray(error['record']) ? error['record'].length : undefined;
        const has = actual === undefined ? 'a different number of fields' : `${actual} field${actual === 1 ? '' : 's'}`;
        return errors.badInput(
          `Line ${line} has ${has}, but the header has ${expected} columns. ` +
            'Every row needs exactly one value per column: leave a value empty if it is missing, and quote values that contain commas.',
          { line, expected, actual },
        );
      }
      case 'INVALID_OPENING_QUOTE': {
        const index = typeof error['column'] === 'number' ? error['column'] : undefined;
        const name = index === undefined ? undefined : this.header?.[index];
        const where = index === undefined ? '' : `, column ${index + 1}${name === undefined ? '' : ` (${JSON.stringify(name)})`}`;
        return errors.badInput(
          `Malformed quoting on line ${line}${where}: a double quote appears inside a value that does not start with one. ` +
            'Wrap the whole value in double quotes and write each double quote inside it as two ("").',
          { line, column: index === undefined ? undefined : index + 1 },
        );
      }
      case 'CSV_INVALID_CLOSING_QUOTE':
      case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
        return errors.badInput(
          `Malformed quoting on line ${line}: a quoted value's closing double quote is followed by other characters instead of a comma or line break. ` +
            'Write each double quote inside a quoted value as two ("").',
          { line },
        );
      case 'CSV_QUOTE_NOT_CLOSED':
        return errors.badInput(`Malformed quoting: a quoted value is never closed (the file ends on line ${line} inside it).`, {
          line,
        });
      case 'CSV_MAX_RECORD_SIZE':
        return errors.tooLarge(`The row on line ${line} is larger than the limit for one row.`, { line });
      default:
        return errors.badInput(`The file could not be read as CSV (line ${line}).`, { line });
    }
  }
}

/** Characters of already-parsed text kept in front of the latest chunk (csv-parse holds back at most ~3 bytes). */
const WINDOW_HEAD = 16;

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) bytes += utf8Size(text.charCodeAt(i));
  return bytes;
}

/**
 * Line breaks (LF, CRLF or a lone CR; a CRLF counts at its LF) among the characters of `text` that
 * start before UTF-8 byte `byteLimit`. A CR at the very end of `text` is not counted.
 */
function countLineBreaks(text: string, byteLimit = Infinity): number {
  let breaks = 0;
  let byte = 0;
  for (let i = 0; i < text.length && byte < byteLimit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && i + 1 < text.length && text.charCodeAt(i + 1) !== 0x0a)) breaks++;
    byte += utf8Size(c);
  }
  return breaks;
}

/** The last `n` bytes of `previous` followed by `chunk`. */
function lastBytes(previous: Uint8Array, chunk: Uint8Array, n: number): Uint8Array {
  if (chunk.length >= n) return chunk.slice(chunk.length - n);
  const joined = new Uint8Array(Math.min(n, previous.length + chunk.length));
  const fromPrevious = joined.length - chunk.length;
  joined.set(previous.subarray(previous.length - fromPrevious), 0);
  joined.set(chunk, fromPrevious);
  return joined;
}

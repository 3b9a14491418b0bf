import { errors, type TesseraError } from '@tessera/errors';
import { describeBytes, type CsvLimits } from './limits';

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3; // inside a quoted field, just after a quote: an escaped quote or the closing one

/** Header names longer than this are not remembered for messages (they are rejected anyway). */
const NAME_CAP = 256;

/** A limit exceeded at character `index` of the text passed to `scan`. */
export interface ScanViolation {
  index: number;
  error: TesseraError;
}

/**
 * A cheap character-level pass over each decoded chunk, run *before* csv-parse sees it, so limits trip
 * while a value or the header is still arriving instead of after csv-parse has buffered the whole
 * record: the header's column count and every value's UTF-8 size. It also counts physical lines (for
 * messages) and remembers where a quoted value was opened (to report one that is never closed).
 *
 * It follows RFC 4180 quoting and the record delimiters (CRLF, LF, CR) csv-parse is configured with,
 * so on well-formed input its counts are exact; malformed quoting is left to csv-parse to report.
 */
export class CsvScanner {
  /** Physical line (1-based) of the next character. */
  line = 1;
  /** The last character seen was a CR (so an LF next is part of the same line break). */
  pendingCR = false;
  private state = FIELD_START;
  private fieldBytes = 0;
  private fieldIndex = 0;
  private fieldLine = 1;
  private inHeader = true;
  private headerFields = 0;
  /** Where the header went over maxColumns; scanning goes on to the header's end only to count. */
  private tooManyColumnsAt = -1;
  /** Header names as scanned (for messages only; csv-parse's header is the one validated and used). */
  private readonly names: Array<string | undefined> = [];
  private name = '';

  constructor(private readonly limits: CsvLimits) {}

  /** Drops whitespace before the header (counting the lines it spans); returns the rest of `text`. */
  skipLeadingWhitespace(text: string): string {
    let i = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!isWhitespace(c)) break;
      this.countLine(c);
    }
    return i === 0 ? text : text.slice(i);
  }

  /** Scans the next piece of text; returns the first limit it breaks, if any (then stop calling). */
  scan(text: string): ScanViolation | undefined {
    const maxFieldBytes = this.limits.maxFieldBytes;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let content = false; // c is part of the field's value
      let recordEnded = false;
      let fieldEnded = false;
      switch (this.state) {
        case FIELD_START:
          this.fieldLine = this.line;
          if (c === QUOTE) this.state = QUOTED;
          else if (c === COMMA) {
            this.endField(i);
            fieldEnded = true;
          }
          else if (c === CR || c === LF) recordEnded = this.endRecord(i);
          else {
            this.state = UNQUOTED;
            content = true;
          }
          break;
        case UNQUOTED:
          if (c === COMMA) {
            this.endField(i);
            fieldEnded = true;
          }
          else if (c === CR || c === LF) recordEnded = this.endRecord(i);
          else content = true;
          break;
        case QUOTED:
          if (c === QUOTE) this.state = QUOTE_IN_QUOTED;
          else content = true;
          break;
        default: // QUOTE_IN_QUOTED
          if (c === COMMA) {
            this.endField(i);
            fieldEnded = true;
          }
          else if (c === CR || c === LF) recordEnded = this.endRecord(i);
          else {
            // `""` is an escaped quote; anything else (`"ab"c`) is malformed, which csv-parse reports.
            this.state = c === QUOTE ? QUOTED : UNQUOTED;
            content = true;
          }
      }
      if (fieldEnded && !this.inHeader && this.fieldIndex >= this.limits.maxColumns) {
        // A data row over the column limit (so over the header's count too) is refused here: csv-parse
        // would collect all of its fields, however many, before it compared the count.
        return { index: i, error: this.tooManyFields() };
      }
      if (recordEnded && this.tooManyColumnsAt >= 0) {
        return { index: this.tooManyColumnsAt, error: this.tooManyColumns(true) };
      }
      if (content) {
        if ((this.fieldBytes += utf8Size(c)) > maxFieldBytes && this.tooManyColumnsAt < 0) {
          return { index: i, error: this.fieldTooLarge() };
        }
        if (this.inHeader && this.name.length <= NAME_CAP) this.name += text.charAt(i);
      }
      this.countLine(c);
    }
    if (this.tooManyColumnsAt >= 0) return { index: Math.min(this.tooManyColumnsAt, text.length), error: this.tooManyColumns(false) };
    return undefined;
  }

  /** At end of input: a quoted value that was never closed, reported where it was opened. */
  finish(): TesseraError | undefined {
    if (this.state !== QUOTED) return undefined;
    return errors.badInput(
      `Malformed quoting: the quoted value that starts on line ${this.fieldLine} is never closed. ` +
        'Add the closing double quote, and write each double quote inside a quoted value as two ("").',
      { line: this.fieldLine },
    );
  }

  private countLine(c: number): void {
    if (c === LF) {
      if (!this.pendingCR) this.line++;
      this.pendingCR = false;
    } else if (c === CR) {
      this.line++;
      this.pendingCR = true;
    } else this.pendingCR = false;
  }

  private endField(index: number): void {
    this.state = FIELD_START;
    this.fieldBytes = 0;
    this.fieldIndex++;
    if (this.inHeader) {
      if (++this.headerFields > this.limits.maxColumns) {
        if (this.tooManyColumnsAt < 0) this.tooManyColumnsAt = index;
      } else this.names.push(this.name.length > NAME_CAP ? undefined : this.name);
      this.name = '';
    }
  }

  /** Returns true when this ended the header. */
  private endRecord(index: number): boolean {
    if (this.state === FIELD_START && this.fieldIndex === 0) return false; // empty line (or the LF of a CRLF)
    this.endField(index);
    this.fieldIndex = 0;
    if (!this.inHeader) return false;
    this.inHeader = false;
    return true;
  }

  private tooManyColumns(exact: boolean): TesseraError {
    const { maxColumns } = this.limits;
    // Not exact: the header's last field so far is still arriving, so it counts as one more.
    const count = exact ? this.headerFields : this.headerFields + 1;
    return errors.badInput(
      `The header has ${exact ? '' : 'at least '}${count} columns, more than the limit of ${maxColumns}. ` +
        `Split the dataset or drop columns so it has at most ${maxColumns}.`,
      { line: this.fieldLine, columns: count, limit: maxColumns },
    );
  }

  private tooManyFields(): TesseraError {
    const { maxColumns } = this.limits;
    const expected = this.headerFields;
    return errors.badInput(
      `Line ${this.line} has more than ${maxColumns} fields, but the header has ${expected} column${expected === 1 ? '' : 's'}. ` +
        'Every row needs exactly one value per column: leave a value empty if it is missing, and quote values that contain commas.',
      { line: this.line, expected, limit: maxColumns },
    );
  }

  private fieldTooLarge(): TesseraError {
    const position = this.fieldIndex + 1;
    const name = this.inHeader ? undefined : this.names[this.fieldIndex]?.trim();
    const where = name ? `column ${position} (${JSON.stringify(name)})` : `column ${position}`;
    const hint =
      this.state === QUOTED
        ? ` If the value is not meant to be that long, check for a double quote on line ${this.fieldLine} that is never closed.`
        : '';
    return errors.tooLarge(
      `The value in ${where} on line ${this.fieldLine} is larger than the limit of ${describeBytes(this.limits.maxFieldBytes)}.${hint}`,
      { line: this.fieldLine, column: position, limit: this.limits.maxFieldBytes },
    );
  }
}

/** UTF-8 bytes of one UTF-16 code unit (a surrogate pair is 2 + 2 = 4). */
export function utf8Size(c: number): number {
  return c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
}

/** The characters String.prototype.trim removes (which includes U+FEFF, a stray BOM). */
function isWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

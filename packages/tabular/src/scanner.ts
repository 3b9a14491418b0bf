import { errors } from '@tessera/errors';
import { describeBytes, type CsvLimits } from './limits';

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3; // inside a quoted field, just after a quote: an escaped quote or the closing one

/**
 * A cheap character-level pass that runs on each decoded chunk *before* csv-parse sees it, so limits
 * trip while a value or the header is still arriving instead of after csv-parse has buffered the
 * whole record: the header's column count and every value's UTF-8 size. It also counts physical
 * lines (for messages) and remembers where an unclosed quote was opened.
 *
 * It follows RFC 4180 quoting and the record delimiters (CRLF, LF, CR) csv-parse is configured with.
 * On well-formed input its counts are exact; malformed quoting is left to csv-parse to report.
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
  private tooManyColumns = false;

  constructor(
    private readonly limits: CsvLimits,
    private readonly columnName: (index: number) => string | undefined,
  ) {}

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

  scan(text: string): void {
    const maxFieldBytes = this.limits.maxFieldBytes;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case FIELD_START:
          this.fieldLine = this.line;
          if (c === QUOTE) this.state = QUOTED;
          else if (c === COMMA) this.endField();
          else if (c === CR || c === LF) this.endRecord();
          else {
            this.state = UNQUOTED;
            this.fieldBytes = utf8Size(c);
          }
          break;
        case UNQUOTED:
          if (c === COMMA) this.endField();
          else if (c === CR || c === LF) this.endRecord();
          else if ((this.fieldBytes += utf8Size(c)) > maxFieldBytes) this.fieldTooLarge(false);
          break;
        case QUOTED:
          if (c === QUOTE) this.state = QUOTE_IN_QUOTED;
          else if ((this.fieldBytes += utf8Size(c)) > maxFieldBytes) this.fieldTooLarge(true);
          break;
        default: // QUOTE_IN_QUOTED
          if (c === QUOTE) {
            this.state = QUOTED;
            if (++this.fieldBytes > maxFieldBytes) this.fieldTooLarge(true);
          } else if (c === COMMA) this.endField();
          else if (c === CR || c === LF) this.endRecord();
          else {
            // `"ab"c`: malformed; csv-parse reports it. Keep counting as if unquoted.
            this.state = UNQUOTED;
            this.fieldBytes += utf8Size(c);
          }
      }
      this.countLine(c);
    }
    if (this.tooManyColumns) this.throwTooManyColumns(false);
  }

  /** At end of input: a quoted value that was never closed is reported where it was opened. */
  finish(): void {
    if (this.state === QUOTED) {
      throw errors.badInput(
        `Malformed quoting: the quoted value that starts on line ${this.fieldLine} is never closed. ` +
          'Add the closing double quote, and write each double quote inside a quoted value as two ("").',
        { line: this.fieldLine },
      );
    }
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

  private endField(): void {
    this.state = FIELD_START;
    this.fieldBytes = 0;
    this.fieldIndex++;
    if (this.inHeader && ++this.headerFields > this.limits.maxColumns) this.tooManyColumns = true;
  }

  private endRecord(): void {
    if (this.state === FIELD_START && this.fieldIndex === 0) return; // empty line (or the LF of a CRLF)
    this.endField();
    this.fieldIndex = 0;
    if (this.inHeader) {
      if (this.tooManyColumns) this.throwTooManyColumns(true);
      this.inHeader = false;
    }
  }

  private throwTooManyColumns(exact: boolean): never {
    const { maxColumns } = this.limits;
    const count = exact ? `${this.headerFields}` : `at least ${this.headerFields}`;
    throw errors.badInput(
      `The header has ${count} columns, more than the limit of ${maxColumns}. ` +
        `Split the dataset or drop columns so it has at most ${maxColumns}.`,
      { line: this.fieldLine, columns: this.headerFields, limit: maxColumns },
    );
  }

  private fieldTooLarge(quoted: boolean): never {
    const position = this.fieldIndex + 1;
    const name = this.inHeader ? undefined : this.columnName(this.fieldIndex);
    const where = name === undefined ? `column ${position}` : `column ${position} (${JSON.stringify(name)})`;
    const hint = quoted
      ? ` If the value is not meant to be that long, check for a double quote on line ${this.fieldLine} that is never closed.`
      : '';
    throw errors.tooLarge(
      `The value in ${where} on line ${this.fieldLine} is larger than the limit of ${describeBytes(this.limits.maxFieldBytes)}.${hint}`,
      { line: this.fieldLine, column: position, limit: this.limits.maxFieldBytes },
    );
  }
}

/** UTF-8 bytes of one UTF-16 code unit (a surrogate pair is 2 + 2 = 4). */
function utf8Size(c: number): number {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
}

/** The characters String.prototype.trim removes (which includes U+FEFF, a stray BOM). */
function isWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

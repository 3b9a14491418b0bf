import type { IncomingMessage } from 'node:http';

/** What Node attaches to an HTTP parser error: the packet it was parsing, and how far into it it got. */
export interface ParserErrorFacts {
  rawPacket?: unknown;
  bytesParsed?: unknown;
}

/** A serialized origin as a browser sends it (`https://host:port`, `null`): visible ASCII only, so nothing can break out of a header line. */
const originValue = /^[\x21-\x7e]{1,2048}$/;
const originLine = /^origin:[ \t]*(.*?)[ \t]*$/i;

/**
 * The `Origin` of a request Node's HTTP parser refused, where it can be read without guessing — so
 * the refusal can carry the same CORS headers as any other answer to that origin. Two cases:
 *
 * - The head was parsed (the request reached the server's handler; then its body was malformed or
 *   did not arrive in time): the `Origin` Node parsed, from `parsedHead`.
 * - The head was not (a malformed header, headers over the size limit): the `Origin` line read from
 *   the packet Node was parsing (`rawPacket`), among the complete header lines before the point
 *   where the parser stopped (`bytesParsed`) — lines the parser had accepted, of the head that failed
 *   (after the last blank line before that point). A line cut by the packet's start is not read.
 *
 * Nothing otherwise: a malformed request line (no header of it was parsed), a head that did not
 * arrive in time (Node keeps no bytes of it), and a head over the size limit whose `Origin` line came
 * in an earlier packet than the one that passed the limit — usual over TLS, where a record holds at
 * most 16 KB, so a head over 16 KB always spans several. Several `Origin` lines, or a value that is
 * not visible ASCII, read as none. Whatever is returned is only a candidate: the caller still checks
 * it against its allowed origins.
 */
export function originOfRefusedRequest(error: ParserErrorFacts, parsedHead: IncomingMessage | undefined): string | undefined {
  if (parsedHead && !parsedHead.complete) {
    const origin = parsedHead.headers.origin;
    return typeof origin === 'string' && originValue.test(origin) ? origin : undefined;
  }
  return originFromPacket(error.rawPacket, error.bytesParsed);
}

function originFromPacket(packet: unknown, bytesParsed: unknown): string | undefined {
  if (!Buffer.isBuffer(packet) || typeof bytesParsed !== 'number' || !Number.isInteger(bytesParsed) || bytesParsed < 0 || bytesParsed > packet.length) return undefined;
  const accepted = packet.toString('latin1', 0, bytesParsed);
  const blank = accepted.lastIndexOf('\r\n\r\n');
  const lines = accepted.slice(blank >= 0 ? blank + 4 : 0).split('\r\n');
  // The first is the request line (or the end of a line from an earlier packet), the last the line the parser stopped in.
  const found = lines.slice(1, -1).flatMap((line) => {
    const match = originLine.exec(line);
    return match ? [match[1]!] : [];
  });
  return found.length === 1 && originValue.test(found[0]!) ? found[0] : undefined;
}

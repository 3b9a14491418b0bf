import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { LogFields, Logger } from '@tessera/config';
import { answerUnparsableRequests, listen, type RunningHttpServer } from '../src/http-server';

/** What a raw client reads back for bytes it sends on a fresh connection (until the server closes it). */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

function parse(reply: string): { status: number; type: string | undefined; body: unknown } {
  const [head, body] = reply.split('\r\n\r\n', 2) as [string, string];
  const status = Number(head.split(' ')[1]);
  const type = /^content-type: *(.+)$/im.exec(head)?.[1]?.trim();
  return { status, type, body: JSON.parse(body) };
}

describe('listen: requests the HTTP parser refuses', () => {
  let running: RunningHttpServer;

  beforeAll(async () => {
    running = await listen((_req: never, res: { end(body: string): void }) => res.end('handled'), 0);
  });
  afterAll(() => running.close());

  const refusal = (message: string) => ({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });

  it('a malformed request line: 400 with the typed JSON body, never reaching the handler', async () => {
    expect(parse(await exchange(running.port, 'NOT HTTP AT ALL\r\n\r\n'))).toEqual({ status: 400, type: 'application/json', body: refusal('The HTTP request is malformed.') });
  });

  it('headers over the limit: 431 with the typed JSON body', async () => {
    const request = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    expect(parse(await exchange(running.port, request))).toEqual({ status: 431, type: 'application/json', body: refusal('The request headers are too large.') });
  });

  it('a well-formed request still reaches the handler', async () => {
    const reply = await exchange(running.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(reply.endsWith('handled')).toBe(true);
  });
});

describe('listen: errors of a server that is listening', () => {
  it('each server-level error after start (as accept failing with EMFILE) is logged, not thrown; the server still answers', async () => {
    const logged: Array<{ message: string; fields: LogFields | undefined }> = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (message, fields) => void logged.push({ message, fields }), child: () => logger };
    const running = await listen((_req: never, res: { end(body: string): void }) => res.end('handled'), 0, '127.0.0.1', undefined, logger);
    try {
      const emfile = () => Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
      // What net.Server emits when accept fails; with no listener left, the second one would end the process.
      running.server.emit('error', emfile());
      running.server.emit('error', emfile());
      expect(logged).toEqual([
        { message: 'http server error', fields: { error: 'accept EMFILE', errorCode: 'EMFILE' } },
        { message: 'http server error', fields: { error: 'accept EMFILE', errorCode: 'EMFILE' } },
      ]);
      const reply = await exchange(running.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(reply.endsWith('handled')).toBe(true);
    } finally {
      await running.close();
    }
  });
});

/** Status and headers (names lower-cased) of a raw reply; the body as JSON. */
function head(reply: string): { status: number; headers: Map<string, string>; body: unknown } {
  const [top, body] = reply.split('\r\n\r\n', 2) as [string, string];
  const [statusLine, ...lines] = top.split('\r\n');
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as [string, string]));
  return { status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('listen: a refusal of the HTTP parser carries the headers given for the request’s Origin', () => {
  const listed = 'https://console.example';
  // As the gateway's CORS: headers for a listed origin only.
  const cors = (origin: string | undefined): Array<[string, string]> => (origin === listed ? [['access-control-allow-origin', origin], ['vary', 'Origin']] : []);
  let running: RunningHttpServer;
  // Passes on whatever origin was read: shows what the reader and the writer let through.
  let reflecting: RunningHttpServer;
  const reflected: Array<string | undefined> = [];

  beforeAll(async () => {
    running = await listen((_req: never, res: { end(body: string): void }) => res.end('handled'), 0, '127.0.0.1', undefined, undefined, { refusalHeaders: cors });
    reflecting = await listen((_req: never, res: { end(body: string): void }) => res.end('handled'), 0, '127.0.0.1', undefined, undefined, {
      refusalHeaders: (origin) => {
        reflected.push(origin);
        return origin === undefined ? [] : [['access-control-allow-origin', origin]];
      },
    });
  });
  afterAll(async () => {
    await running.close();
    await reflecting.close();
  });

  it('a malformed header after the Origin: 400 with the CORS headers for a listed origin, none for another', async () => {
    const malformed = (origin: string) => `GET / HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\nBad\x01: y\r\n\r\n`;
    const allowed = head(await exchange(running.port, malformed(listed)));
    expect({ status: allowed.status, origin: allowed.headers.get('access-control-allow-origin'), vary: allowed.headers.get('vary'), body: allowed.body }).toEqual({
      status: 400,
      origin: listed,
      vary: 'Origin',
      body: { errors: [{ message: 'The HTTP request is malformed.', extensions: { code: 'BAD_REQUEST' } }] },
    });
    const other = head(await exchange(running.port, malformed('https://evil.example')));
    expect({ status: other.status, origin: other.headers.get('access-control-allow-origin'), vary: other.headers.get('vary') }).toEqual({ status: 400, origin: undefined, vary: undefined });
  });

  it('headers over the limit in the packet that holds the Origin: 431 with the CORS headers', async () => {
    const reply = head(await exchange(running.port, `GET / HTTP/1.1\r\nHost: x\r\nOrigin: ${listed}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect({ status: reply.status, origin: reply.headers.get('access-control-allow-origin') }).toEqual({ status: 431, origin: listed });
  });

  it('the request of a keep-alive connection that failed is the one read, not the one answered before it', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(running.port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        // The second request once the first is answered (a pipelined one would find a response still under way).
        if (received.endsWith('handled')) socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nBad\x01: y\r\n\r\n', 'latin1'));
      });
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
      socket.write(`GET / HTTP/1.1\r\nHost: x\r\nOrigin: ${listed}\r\n\r\n`);
    });
    const second = head(reply.slice(reply.indexOf('HTTP/1.1 400')));
    expect({ first: reply.split('\r\n')[0], status: second.status, origin: second.headers.get('access-control-allow-origin') }).toEqual({ first: 'HTTP/1.1 200 OK', status: 400, origin: undefined });
  });

  it('reads no Origin where none was parsed: a malformed request line, two Origin lines, a line the parser stopped in, garbage', async () => {
    const cases = [
      `NOT HTTP\r\nOrigin: ${listed}\r\n\r\n`,
      `GET / HTTP/1.1\r\nOrigin: ${listed}\r\nOrigin: ${listed}\r\nBad\x01: y\r\n\r\n`,
      // A bare CR stops the parser inside the Origin line: nothing after it may become a header.
      `GET / HTTP/1.1\r\nOrigin: ${listed}\rX-Injected: 1\r\n\r\n`,
      `GET / HTTP/1.1\r\nOrigin: ${listed}\x7f\r\nBad\x01: y\r\n\r\n`,
      `GET / HTTP/1.1\r\nOrigin: https://a\xff.example\r\nBad\x01: y\r\n\r\n`,
      ' \r\nOrigin: https://x\r\n\r\n',
      '\x00\x01\x02\xff\xfe\r\nOrigin: https://x\r\n\r\n',
      `GET / HTTP/1.1\r\nOrigin:\r\n: \r\n${'\r\n'.repeat(50)}\x00`,
      `GET / HTTP/1.1\r\nOrigin: ${'o'.repeat(5_000)}\r\nBad\x01: y\r\n\r\n`,
    ];
    for (const request of cases) {
      const reply = head(await exchange(reflecting.port, request));
      expect({ request, status: reply.status, origin: reply.headers.get('access-control-allow-origin'), injected: reply.headers.get('x-injected') }).toEqual({ request, status: 400, origin: undefined, injected: undefined });
    }
    expect(reflected.filter((origin) => origin !== undefined)).toEqual([]);
    // Read where it was accepted, exactly as sent; and the server still answers.
    expect(head(await exchange(reflecting.port, `GET / HTTP/1.1\r\nOrigin:  null \r\nBad\x01: y\r\n\r\n`)).headers.get('access-control-allow-origin')).toBe('null');
    expect((await exchange(reflecting.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).endsWith('handled')).toBe(true);
  });

  it('a body that does not arrive in time: 408 with the CORS headers of the head Node parsed; a head that does not, 408 without', async () => {
    // Node's own timers, shortened (the service's keep Node's defaults: 5 minutes for a request).
    const server = createServer({ requestTimeout: 400, headersTimeout: 300, connectionsCheckingInterval: 50 }, () => undefined);
    answerUnparsableRequests(server, cors);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const slowBody = head(await exchange(port, `POST / HTTP/1.1\r\nHost: x\r\nOrigin: ${listed}\r\nContent-Length: 10\r\n\r\nab`));
      expect({ status: slowBody.status, origin: slowBody.headers.get('access-control-allow-origin'), code: (slowBody.body as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code }).toEqual({
        status: 408,
        origin: listed,
        code: 'BAD_REQUEST',
      });
      const slowHead = head(await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nOrigin: ${listed}\r\n`));
      expect({ status: slowHead.status, origin: slowHead.headers.get('access-control-allow-origin') }).toEqual({ status: 408, origin: undefined });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

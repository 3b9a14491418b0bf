import { connect } from 'node:net';
import type { LogFields, Logger } from '@tessera/config';
import { listen, type RunningHttpServer } from '../src/http-server';

/** What a raw client reads back for bytes it sends on a fresh connection (until the server closes it). */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.write(bytes);
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

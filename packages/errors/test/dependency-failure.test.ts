import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { createErrorMasker, errors, isDependencyUnavailable, toClientError } from '../src';

/** A real "connection refused": a port that was just listening and is closed now. */
async function refusedConnection(): Promise<Error> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return new Promise<Error>((resolve) => connect(port, '127.0.0.1').on('error', resolve));
}

describe('dependency failures', () => {
  it('recognizes a refused connection, however it is wrapped', async () => {
    const refused = await refusedConnection();
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(isDependencyUnavailable(refused)).toBe(true);
    expect(isDependencyUnavailable(new GraphQLError('boom', { originalError: refused }))).toBe(true);
    expect(isDependencyUnavailable(new Error('query failed', { cause: refused }))).toBe(true);
    expect(isDependencyUnavailable(Object.assign(new Error('QueryFailedError'), { driverError: refused }))).toBe(true);
    expect(isDependencyUnavailable(new AggregateError([refused, refused]))).toBe(true);
  });

  it('does not take bugs, refusals or data errors for an outage', async () => {
    const refused = await refusedConnection();
    expect(isDependencyUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDependencyUnavailable(errors.badInput('no'))).toBe(false);
    expect(isDependencyUnavailable(Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' }))).toBe(false);
    expect(isDependencyUnavailable(new AggregateError([refused, new TypeError('bug')]))).toBe(false);
    expect(isDependencyUnavailable(undefined)).toBe(false);
    expect(isDependencyUnavailable('ECONNREFUSED')).toBe(false);
  });

  it('the masker answers SERVICE_UNAVAILABLE without the socket details, and logs them', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const mask = createErrorMasker({ log: (_message, fields) => logged.push(fields) });
    const refused = await refusedConnection();
    const original = new GraphQLError(refused.message, { originalError: refused, path: ['dataset', 'preview'] });
    const masked = mask(original.toJSON(), original);
    expect(masked).toEqual({
      message: 'A service this request depends on is not reachable right now; retry later.',
      path: ['dataset', 'preview'],
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(JSON.stringify(logged)).toContain('ECONNREFUSED');
    const bug = new GraphQLError('x is undefined', { originalError: new TypeError('x is undefined') });
    expect(mask(bug.toJSON(), bug).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('toClientError (HTTP endpoints) decides the same way', async () => {
    expect(toClientError(await refusedConnection()).code).toBe('SERVICE_UNAVAILABLE');
    expect(toClientError(await refusedConnection()).httpStatus).toBe(503);
    expect(toClientError(new TypeError('bug')).code).toBe('INTERNAL_SERVER_ERROR');
    const typed = errors.conflict('aliased');
    expect(toClientError(typed)).toBe(typed);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLError, locatedError } from 'graphql';
import { createErrorMasker, errorCodes, errors, TesseraError } from '../src';

describe('error registry', () => {
  it('the README documents every code with its HTTP status and description', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    for (const [code, info] of Object.entries(errorCodes)) {
      expect(readme).toContain(`| \`${code}\` | ${info.httpStatus} | ${info.description} |`);
    }
  });

  it('factories set extensions.code and the HTTP status', () => {
    const notFound = errors.notFound('Dataset', 'abc');
    expect(notFound).toBeInstanceOf(GraphQLError);
    expect(notFound.extensions['code']).toBe('NOT_FOUND');
    expect(notFound.httpStatus).toBe(404);
    expect(errors.rateLimited(7).extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 7 });
    expect(new TesseraError('CONFLICT', 'x').toResponseBody()).toEqual({ errors: [{ message: 'x', extensions: { code: 'CONFLICT' } }] });
  });

  it('masks anything without a registered code and logs the original', () => {
    const logged: unknown[] = [];
    const mask = createErrorMasker({ log: (_message, fields) => logged.push(fields) });
    const leaked = mask({ message: "ER_NO_SUCH_TABLE: Table 'tenant_x.secret' doesn't exist", extensions: { code: 'ER_NO_SUCH_TABLE', stacktrace: ['...'] } }, new Error('db'));
    expect(leaked).toEqual({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged).toHaveLength(1);
    const kept = mask({ message: 'Dataset "x" was not found.', extensions: { code: 'NOT_FOUND', stacktrace: ['...'], serviceName: 'datasets' } }, undefined);
    expect(kept).toEqual({ message: 'Dataset "x" was not found.', extensions: { code: 'NOT_FOUND' } });
  });

  it('passes DATA_CORRUPTED through to the client and tells the operator too', () => {
    const logged: Array<{ message: string; fields: Record<string, unknown> }> = [];
    const mask = createErrorMasker({ log: (message, fields) => logged.push({ message, fields }) });
    const answer = mask({ message: 'The stored content failed its integrity check.', path: ['dataset'], extensions: { code: 'DATA_CORRUPTED' } }, new Error('chunk 2 failed authentication'));
    expect(answer).toEqual({ message: 'The stored content failed its integrity check.', path: ['dataset'], extensions: { code: 'DATA_CORRUPTED' } });
    expect(logged).toEqual([{ message: 'stored content failed its integrity check', fields: expect.objectContaining({ path: ['dataset'], error: expect.stringContaining('chunk 2 failed authentication') }) }]);
  });

  it('passes SERVICE_UNAVAILABLE through without its cause, and logs the cause (the address a socket could not reach)', () => {
    const logged: Array<{ message: string; fields: Record<string, unknown> }> = [];
    const mask = createErrorMasker({ log: (message, fields) => logged.push({ message, fields }) });
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.3.17:4002'), { code: 'ECONNREFUSED' });
    // As a resolver's throw reaches formatError: wrapped by graphql-js with the path.
    const located = locatedError(errors.unavailable('The datasets service is not reachable.', refused), undefined, ['submitProfileJob']);
    const answer = mask(located.toJSON(), located);
    expect(answer).toEqual({ message: 'The datasets service is not reachable.', path: ['submitProfileJob'], extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(logged).toEqual([{ message: 'dependency unavailable', fields: expect.objectContaining({ path: ['submitProfileJob'], error: expect.stringContaining('connect ECONNREFUSED 10.0.3.17:4002') }) }]);
    // Without a cause there is nothing more for the operator than the client got: no line.
    logged.length = 0;
    mask({ message: 'Retry shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } }, errors.unavailable('Retry shortly.'));
    expect(logged).toEqual([]);
  });

  it("logs what a subgraph reported as the object it is (not '[object Object]'), with the subgraph's name, which the client does not get", () => {
    const logged: Array<Record<string, unknown>> = [];
    const mask = createErrorMasker({ log: (_message, fields) => logged.push(fields) });
    const relayed = { message: 'Cannot return null for non-nullable field Job.lossHistory.', path: ['job', 'lossHistory'], extensions: { serviceName: 'jobs' } };
    const answer = mask({ message: relayed.message, path: ['job'], extensions: { serviceName: 'jobs' } }, relayed);
    expect(answer).toEqual({ message: 'Unexpected error.', path: ['job'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged[0]).toMatchObject({ subgraph: 'jobs', error: JSON.stringify(relayed) });
    expect(String(logged[0]!['error'])).not.toContain('[object Object]');
  });
});

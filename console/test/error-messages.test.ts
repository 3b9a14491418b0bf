// The console shows a fixed sentence per typed error code (console/src/api/errors.ts), followed by the
// server's message. Every code of the registry (packages/errors) must have its own, and the list may
// name no code the platform does not have: a code without one was shown as "Unexpected error. The
// operators can find it by the request id." — e.g. DATA_CORRUPTED on a preview or a download, which
// retrying does not mend, and METHOD_NOT_ALLOWED.
import { errorCodes } from '@tessera/errors';
import { describeError, errorMessages } from '../src/api/errors';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';

describe('console error sentences', () => {
  it('has one sentence for every code of the registry, and none for a code it does not have', () => {
    expect(Object.keys(errorMessages).sort()).toEqual(Object.keys(errorCodes).sort());
    for (const sentence of Object.values(errorMessages)) expect(sentence.trim()).not.toBe('');
  });

  it("shows a code's own sentence, not the unexpected-error one", () => {
    const error = new CombinedError({ graphQLErrors: [new GraphQLError('The stored content failed its integrity check.', { extensions: { code: 'DATA_CORRUPTED' } })] });
    const view = describeError(error);
    expect(view.code).toBe('DATA_CORRUPTED');
    expect(view.message).toBe(errorMessages['DATA_CORRUPTED']);
    expect(view.message).not.toBe(errorMessages['INTERNAL_SERVER_ERROR']);
  });
});

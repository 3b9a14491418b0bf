import { decodeCursor, encodeCursor } from '../src/pagination';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const id = 'f6d5a869-0922-475a-a130-de6ce7425469';

describe('page cursors', () => {
  it('read back the position they were made from', () => {
    const position = { createdAt: new Date('2026-12-07T01:36:56.408Z'), id };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(decodeCursor(null)).toBeUndefined();
  });

  // A time MySQL cannot hold was sent to it as it came: one past year 9999 listed the first page again
  // (oldest first), as if the cursor were not there, instead of being refused.
  it.each([
    ['+275760-09-13T00:00:00.000Z'],
    ['-271821-04-20T00:00:00.000Z'],
    ['0000-01-01T00:00:00.000Z'],
    ['10000-01-01T00:00:00.000Z'],
    ['not a date'],
  ])('refuse a cursor at %s with BAD_USER_INPUT on after', (at) => {
    expect(() => decodeCursor(cursorOf([at, id]))).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }) }));
  });
});

import { tokenFromConnectionParams } from '../src/subscriptions/connection-auth';

describe('token in connection_init', () => {
  it('accepts the Authorization header shape in any case (what Apollo Sandbox and most clients send), or { token }', () => {
    expect(tokenFromConnectionParams({ authorization: 'Bearer abc.def.ghi' })).toBe('abc.def.ghi');
    expect(tokenFromConnectionParams({ Authorization: 'bearer abc.def.ghi' })).toBe('abc.def.ghi');
    expect(tokenFromConnectionParams({ token: 'abc.def.ghi' })).toBe('abc.def.ghi');
  });

  it('finds nothing in anything else', () => {
    expect(tokenFromConnectionParams(undefined)).toBeUndefined();
    expect(tokenFromConnectionParams({})).toBeUndefined();
    expect(tokenFromConnectionParams({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(tokenFromConnectionParams({ authorization: 'Bearer ' })).toBeUndefined();
    expect(tokenFromConnectionParams({ authorization: ['Bearer abc'] })).toBeUndefined();
    expect(tokenFromConnectionParams({ token: '' })).toBeUndefined();
  });
});

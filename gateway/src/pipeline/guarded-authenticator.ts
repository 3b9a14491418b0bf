import { isTesseraError } from '@tessera/errors';
import { bearerToken, type RequestAuthenticator } from '../request-auth';
import type { ClientAddressGuard } from './client-address-guard';

/** The refusals that are the client's doing; anything else (e.g. SERVICE_UNAVAILABLE) is not charged to its address. */
export function isAuthenticationFailure(error: unknown): boolean {
  return isTesseraError(error) && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN');
}

/**
 * The request authenticator behind the client-address guard: the guard decides before the token
 * is verified, and learns how verification ended. Same signature as the authenticator it wraps,
 * so HTTP (every route) and WebSocket `connection_init` share it without knowing about it.
 */
export function guardAuthentication(authenticate: RequestAuthenticator, guard: ClientAddressGuard): RequestAuthenticator {
  return async function authenticateGuarded(headers, sourceIp, requestId) {
    const token = bearerToken(headers);
    const admission = guard.admit(sourceIp, token);
    try {
      const authenticated = await authenticate(headers, sourceIp, requestId);
      guard.recordVerified(admission, token);
      return authenticated;
    } catch (error) {
      if (isAuthenticationFailure(error)) guard.recordFailure(admission, token);
      else guard.release(admission);
      throw error;
    }
  };
}

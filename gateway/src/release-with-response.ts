import type { ServerResponse } from 'node:http';

/**
 * Gives a tenant's operation slot back when the response closes — also when it closed already:
 * a client that gave up while its request waited for a slot has no 'close' event left to fire,
 * and a listener added then would hold the slot until the gateway restarts. Returns whether the
 * response is still open (false: nobody is waiting for the answer).
 */
export function releaseWithResponse(res: ServerResponse, release: () => void): boolean {
  if (res.destroyed) {
    release();
    return false;
  }
  res.once('close', release);
  return true;
}

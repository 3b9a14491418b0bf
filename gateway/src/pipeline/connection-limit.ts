import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { BoundedCounter } from './bounded-counter';
import { clientAddressKey } from './client-address-key';
import type { TrustedProxies } from './trusted-proxies';

export const defaultConnectionsPerAddress = 256;

export interface ConnectionLimitOptions {
  /** Connections one client address may hold open at once; 0 turns the cap off. */
  perAddress: number;
  /** Their connections carry many clients' requests (X-Forwarded-For): not capped here. */
  trusted: TrustedProxies;
  /** Called when a connection is refused (rate-limited by the caller: the log is no flood channel). */
  onRefused?(addressKey: string): void;
}

/**
 * Caps the connections one client address holds open on the gateway's listener, counted when the
 * TCP connection is accepted — before the TLS handshake, the request parser or any token is
 * looked at. Without it, one address could open connections until the process ran out of file
 * descriptors (every request limit counts requests, not idle or slow connections) and no tenant
 * could connect any more. Past the cap a new connection is closed at once: answering it would
 * first cost a TLS handshake, the work the cap saves. Addresses are keyed as for every other
 * per-address limit (an IPv6 /64 is one address). A trusted proxy (an ingress controller) is not
 * capped here: its connections carry many clients, and it is where per-client connection limits
 * belong for the clients behind it.
 */
export function limitConnectionsPerAddress(server: Server, options: ConnectionLimitOptions): { open(address: string): number } {
  const open = new BoundedCounter();
  if (options.perAddress > 0) {
    // Ahead of the server's own listener: a refused connection gets no TLS state at all.
    server.prependListener('connection', (socket: Socket) => {
      const peer = socket.remoteAddress;
      if (peer !== undefined && options.trusted.trusts(peer)) return;
      const key = clientAddressKey(peer);
      const release = open.acquire(key, options.perAddress);
      if (!release) {
        socket.destroy();
        options.onRefused?.(key);
        return;
      }
      socket.once('close', release);
    });
  }
  return { open: (address) => open.count(clientAddressKey(address)) };
}

import { Agent as HttpsAgent } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { Pool } from 'undici';
import { mutualTlsClientOptions, type TlsIdentity } from '@tessera/service-kit';

/**
 * How the gateway connects to a subgraph: mutual TLS, presenting the gateway's client certificate
 * and accepting only a server certificate of the same CA that names that subgraph.
 */
export function subgraphTlsOptions(identity: TlsIdentity, subgraph: string): ConnectionOptions {
  return mutualTlsClientOptions(identity, subgraph);
}

/**
 * The gateway's connections to its subgraphs, each with that subgraph's expected identity: an
 * undici pool per subgraph origin for buffered calls (operations, predictions), and a node:https
 * keep-alive agent per subgraph for the streamed upload and download proxies.
 */
export class SubgraphAgents {
  private readonly agents = new Map<string, HttpsAgent>();
  private readonly pools = new Map<string, Pool>();

  constructor(
    readonly identity: TlsIdentity,
    private readonly maxSockets = 128,
  ) {}

  agent(subgraph: string): HttpsAgent {
    let agent = this.agents.get(subgraph);
    if (!agent) {
      agent = new HttpsAgent({ keepAlive: true, maxSockets: this.maxSockets, ...subgraphTlsOptions(this.identity, subgraph) });
      this.agents.set(subgraph, agent);
    }
    return agent;
  }

  /** The pool for `origin` (scheme, host and port of one subgraph's URL). */
  pool(subgraph: string, origin: string): Pool {
    const key = `${subgraph} ${origin}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.maxSockets,
        connect: subgraphTlsOptions(this.identity, subgraph),
        // No client-side deadline, as with node:https: a call may legitimately run for minutes (a
        // prediction up to its model's serving timeout, a re-encryption), and the subgraph bounds its own work.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    for (const pool of this.pools.values()) void pool.destroy().catch(() => undefined);
    this.pools.clear();
  }
}

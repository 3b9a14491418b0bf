import { Agent as HttpsAgent } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { mutualTlsClientOptions, type TlsIdentity } from '@tessera/service-kit';

/**
 * How the gateway connects to a subgraph: mutual TLS, presenting the gateway's client certificate
 * and accepting only a server certificate of the same CA that names that subgraph.
 */
export function subgraphTlsOptions(identity: TlsIdentity, subgraph: string): ConnectionOptions {
  return mutualTlsClientOptions(identity, subgraph);
}

/** One keep-alive pool per subgraph, each with that subgraph's expected identity. */
export class SubgraphAgents {
  private readonly agents = new Map<string, HttpsAgent>();

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

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

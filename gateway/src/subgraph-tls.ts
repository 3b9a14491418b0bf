import { Agent as HttpsAgent } from 'node:https';
import { checkServerIdentity, createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import type { TlsIdentity } from '@tessera/service-kit';

/**
 * How the gateway connects to a subgraph: mutual TLS, presenting the gateway's client certificate
 * and accepting only a server certificate of the same CA that names the subgraph it meant to reach
 * (a subgraph's certificate names its service identity, whatever address it listens on).
 */
export function subgraphTlsOptions(identity: TlsIdentity, subgraph: string): ConnectionOptions {
  return {
    ca: identity.ca,
    cert: identity.cert,
    key: identity.key,
    // Parsed once, not per connection (new sockets are opened under load and for every subscription socket).
    secureContext: secureContextOf(identity),
    minVersion: 'TLSv1.2',
    servername: subgraph,
    rejectUnauthorized: true,
    checkServerIdentity: (_host, certificate) => checkServerIdentity(subgraph, certificate),
  };
}

const contexts = new WeakMap<TlsIdentity, SecureContext>();

function secureContextOf(identity: TlsIdentity): SecureContext {
  let context = contexts.get(identity);
  if (!context) {
    context = createSecureContext({ ca: identity.ca, cert: identity.cert, key: identity.key, minVersion: 'TLSv1.2' });
    contexts.set(identity, context);
  }
  return context;
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

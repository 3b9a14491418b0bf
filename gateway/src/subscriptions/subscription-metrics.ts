import type { OperationType, RequestObservation } from '@tessera/monitoring';

interface OpenOperation {
  startedAt: number;
  startedHr: bigint;
  type: OperationType;
  name: string | null;
  /** Time until the operation was relayed to its subgraph (or refused), ms. */
  setupMs: number | undefined;
  codes: Set<string>;
}

/**
 * The request metrics of one client socket's subscription operations, in the same series as the
 * HTTP requests (see request-metrics.ts): each `subscribe` counts once when it ends (completed by
 * either side, or its socket closed), as operation type SUBSCRIPTION — or INVALID when it did
 * not parse or validate — with the codes of every error it delivered. Its latency is the setup
 * time (subscribe → relayed to the subgraph, or refused): how long a subscription stays open says
 * nothing about the platform's speed.
 */
export class SubscriptionMetrics {
  private readonly open = new Map<string, OpenOperation>();

  constructor(
    private readonly tenantId: string,
    private readonly record: ((observation: RequestObservation) => void) | undefined,
  ) {}

  begin(id: string): void {
    this.open.set(id, { startedAt: Date.now(), startedHr: process.hrtime.bigint(), type: 'invalid', name: null, setupMs: undefined, codes: new Set() });
  }

  /** The operation parsed and validated as a subscription (named `name`, if it has a name). */
  identify(id: string, name: string | null): void {
    const operation = this.open.get(id);
    if (!operation) return;
    operation.type = 'subscription';
    operation.name = name;
  }

  /** Handed to the subgraph: the setup latency stops here. */
  relayed(id: string): void {
    const operation = this.open.get(id);
    if (operation && operation.setupMs === undefined) operation.setupMs = elapsedMs(operation.startedHr);
  }

  /** Error codes the client received for this operation (in a result, or as its error message). */
  failed(id: string, codes: Iterable<string>): void {
    const operation = this.open.get(id);
    if (!operation) return;
    for (const code of codes) operation.codes.add(code);
    if (operation.setupMs === undefined) operation.setupMs = elapsedMs(operation.startedHr);
  }

  /** Counts the operation once; later calls for the same id do nothing. */
  end(id: string): void {
    const operation = this.open.get(id);
    if (!operation) return;
    this.open.delete(id);
    this.record?.({
      tenantId: this.tenantId,
      startedAt: operation.startedAt,
      operationType: operation.type,
      operationName: operation.name,
      latencyMs: operation.setupMs ?? elapsedMs(operation.startedHr),
      errorCodes: [...operation.codes],
    });
  }

  /** The socket closed: every operation still open ends now. */
  endAll(): void {
    for (const id of [...this.open.keys()]) this.end(id);
  }
}

function elapsedMs(startedHr: bigint): number {
  return Number(process.hrtime.bigint() - startedHr) / 1e6;
}

/** The codes of formatted errors, as the client sees them. */
export function codesOf(errors: ReadonlyArray<{ extensions?: { [key: string]: unknown } }> | undefined): string[] {
  return (errors ?? []).map((error) => String(error.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR'));
}

import http from 'node:http';
import https from 'node:https';
import { startTestStack, type TestStack } from '@tessera/testing';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

/**
 * What the gateway process sends where nobody configured it to: nothing. @apollo/gateway on its own
 * probes the cloud instance-metadata endpoints when it is built and reports host facts to Apollo every
 * hour and when it stops; the gateway turns that off (APOLLO_TELEMETRY_DISABLED).
 */
describe('gateway egress', () => {
  const requested: string[] = [];
  const record = (target: unknown) => {
    if (typeof target === 'string') requested.push(target);
    else if (target instanceof URL) requested.push(target.href);
    else if (target && typeof target === 'object') {
      const options = target as { hostname?: unknown; host?: unknown; path?: unknown };
      requested.push(`${String(options.hostname ?? options.host)}${String(options.path ?? '')}`);
    }
  };
  const spies: jest.SpyInstance[] = [];
  let stack: TestStack | undefined;

  beforeAll(() => {
    for (const module of [http, https]) {
      for (const method of ['request', 'get'] as const) {
        const original = module[method] as (...args: unknown[]) => http.ClientRequest;
        spies.push(jest.spyOn(module, method).mockImplementation(((...args: unknown[]) => {
          record(args[0]);
          return original.apply(module, args);
        }) as never));
      }
    }
  });
  afterAll(async () => {
    await stack?.stop();
    for (const spy of spies) spy.mockRestore();
  });

  const foreign = /169\.254\.169\.254|100\.100\.100\.200|metadata\.google\.internal|apollographql\.com/;

  it('starting and stopping the gateway calls no instance-metadata endpoint and reports nothing to Apollo', async () => {
    stack = await startTestStack();
    // The metadata probes start when the gateway is built; give any that were started a moment to be made.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stack.stop();
    stack = undefined;
    expect(requested.filter((target) => foreign.test(target))).toEqual([]);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { startTestStack, type TestStack } from '@tessera/testing';
import { defaultAlertingConfig } from '../src/domain/alerting-config';
import { auditSubgraph } from '../src/server';

/**
 * Building the audit subgraph has no side effects (the gateway and the RBAC test build every
 * definition only to read its rules); its background work (alert evaluation, outbox relay,
 * checkpoint signing) runs from `start` and ends with `close`. The loops' intervals here are
 * unique values, so the timers they arm are told apart from any other timer of the process.
 */
describe('audit subgraph lifecycle', () => {
  let stack: TestStack;
  const evaluationIntervalMs = 3_600_017;
  const relayIntervalMs = 3_600_029;
  const checkpointIntervalMs = 3_600_041;
  const ours = new Set([evaluationIntervalMs, relayIntervalMs, checkpointIntervalMs]);

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await stack?.stop();
  });

  it('arms no timer when built, arms its loops on start and clears every one of them on close', async () => {
    const signingKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as { kty: string };
    const setIntervalSpy = jest.spyOn(global, 'setInterval');
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const armed = () =>
      [...setIntervalSpy.mock.calls.map((call, i) => [call, setIntervalSpy.mock.results[i]] as const), ...setTimeoutSpy.mock.calls.map((call, i) => [call, setTimeoutSpy.mock.results[i]] as const)]
        .filter(([call]) => ours.has(call[1] as number))
        .map(([, result]) => result!.value as NodeJS.Timeout);

    const definition = auditSubgraph(stack.platform.runtime, { ...defaultAlertingConfig, evaluationIntervalMs }, { signingKey, verifyKeys: [], relayIntervalMs, checkpointIntervalMs, checkpointRetentionDays: 0 });
    expect(armed()).toEqual([]);

    await definition.start?.();
    const loops = armed();
    // The alert evaluator's interval, the relay's and the checkpoint signer's loop.
    expect(loops).toHaveLength(3);
    setIntervalSpy.mockRestore();
    setTimeoutSpy.mockRestore();

    const clearIntervalSpy = jest.spyOn(global, 'clearInterval');
    const clearTimeoutSpy = jest.spyOn(global, 'clearTimeout');
    await definition.close?.();
    const cleared = new Set<unknown>([...clearIntervalSpy.mock.calls.map((call) => call[0]), ...clearTimeoutSpy.mock.calls.map((call) => call[0])]);
    for (const timer of loops) expect(cleared.has(timer)).toBe(true);
  });

  it('closes cleanly when it was built but never started', async () => {
    const definition = auditSubgraph(stack.platform.runtime, defaultAlertingConfig, undefined);
    await expect(definition.close?.() ?? Promise.resolve()).resolves.toBeUndefined();
  });
});

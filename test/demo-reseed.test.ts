import { randomBytes } from 'node:crypto';
import { startS3Server, type RunningS3Server } from '@tessera/local-infra';
import { startPlatform, type RunningPlatform } from '@tessera/platform';
import { startKeyServiceProcess, type RunningKeyServiceProcess } from '@tessera/key-service';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestStack, type TestStack } from '@tessera/testing';
import { demoPredictQuery } from '../scripts/start/banner';
import { demoModelInput, demoModelName, ensureDemoDataset, ensureDemoModel, provisionDemoTenants } from '../scripts/start/demo-data';
import { foreignTenantReason } from '../scripts/start/demo-ownership';
import { graphql } from '../scripts/start/graphql';

/**
 * `npm start` from a second checkout on the same machine: the local control plane (MariaDB) is
 * shared, the key service (`.tessera/keys`) and the object store are the checkout's own. Here the
 * test stack is the first checkout; a second platform on the same control schema, with another key
 * service and another S3 server, is the second. The demo tenant the first one seeded is unreadable to the
 * second, which must notice, re-create it, and end up with a demo whose model predicts.
 */
let stack: TestStack;
let secondStore: RunningS3Server;
const secondKey = { accessKey: `second${randomBytes(4).toString('hex')}`, secretKey: randomBytes(16).toString('hex') };
let second: RunningPlatform | undefined;
let secondKeys: RunningKeyServiceProcess;
let secondKeysDirectory: string;
const demoTenant = { id: `d${randomBytes(5).toString('hex')}`, displayName: 'Demo', region: 'us-east-1', tier: 'shared' } as const;

const predict = demoPredictQuery({ name: demoModelName, alias: 'production', inputName: demoModelInput });
interface PredictAnswer {
  predict: { outputs: Array<{ name: string; data: number[] }>; modelVersion: { number: number } };
}

beforeAll(async () => {
  stack = await startTestStack();
  secondKeysDirectory = mkdtempSync(join(tmpdir(), 'tessera-second-keys-'));
  // The second checkout's store and key service at once: neither needs the other.
  [secondStore, secondKeys] = await Promise.all([
    startS3Server({ ...secondKey, tls: stack.pki.identity('s3') }),
    startKeyServiceProcess({ stateDirectory: join(secondKeysDirectory, 'keys'), tls: { caFile: stack.pki.caFile, ...stack.pki.files('keys') } }),
  ]);
}, 120_000);

afterAll(async () => {
  await (second ?? stack.platform).provisioner.deprovision(demoTenant.id).catch(() => undefined);
  await second?.stop();
  await secondStore?.close();
  await secondKeys?.stop();
  if (secondKeysDirectory) rmSync(secondKeysDirectory, { recursive: true, force: true });
  await stack?.stop();
});

describe('demo tenants seeded by another checkout', () => {
  it('are used as they are by the checkout that seeded them', async () => {
    expect(await provisionDemoTenants(stack.platform, [demoTenant])).toEqual([{ id: demoTenant.id, created: true }]);
    const token = await stack.issueToken({ tenant: demoTenant.id, roles: ['data_scientist'] });
    await ensureDemoDataset(stack.graphqlUrl, token);
    await ensureDemoModel(stack.graphqlUrl, token);
    expect((await graphql<PredictAnswer>(stack.graphqlUrl, token, predict)).predict.modelVersion.number).toBe(1);

    expect(await foreignTenantReason(stack.platform, demoTenant.id)).toBeUndefined();
    expect(await provisionDemoTenants(stack.platform, [demoTenant])).toEqual([{ id: demoTenant.id, created: false }]);
  });

  it('are re-created by a checkout with another key service and object store, and its demo then predicts', async () => {
    second = await startPlatform({
      ...stack.config,
      keyProvider: { ...stack.config.keyProvider, url: secondKeys.url },
      objectStore: { ...stack.config.objectStore, endpoint: secondStore.endpoint, ...secondKey },
      gatewayPort: 0,
    });
    const graphqlUrl = second.gateway.graphqlUrl;
    const token = await stack.issueToken({ tenant: demoTenant.id, roles: ['data_scientist'] });
    // What the second checkout's printed curl answered before: the model's object is not in its store.
    await expect(graphql(graphqlUrl, token, predict)).rejects.toThrow(/SERVICE_UNAVAILABLE/);

    expect(await foreignTenantReason(second, demoTenant.id)).toBe('its data keys are wrapped by another key service');
    const [result] = await provisionDemoTenants(second, [demoTenant]);
    expect(result).toEqual({ id: demoTenant.id, created: true, replaced: 'its data keys are wrapped by another key service' });
    expect(await ensureDemoDataset(graphqlUrl, token)).toMatchObject({ created: true, rowCount: 15 });
    expect(await ensureDemoModel(graphqlUrl, token)).toEqual({ created: true, version: 1 });
    const answer = await graphql<PredictAnswer>(graphqlUrl, token, predict);
    // The demo flower is a virginica: the third score is the largest.
    const scores = answer.predict.outputs[0]!.data;
    expect(scores.indexOf(Math.max(...scores))).toBe(2);

    // Now it is this checkout's: a later start keeps it.
    expect(await foreignTenantReason(second, demoTenant.id)).toBeUndefined();
    expect(await provisionDemoTenants(second, [demoTenant])).toEqual([{ id: demoTenant.id, created: false }]);
  }, 120_000);

  it('counts a tenant as another installation\'s when its keys unwrap but the bucket here holds an earlier provisioning\'s objects (secrets copied, store not)', async () => {
    // The second checkout's key service with the first one's store: there, the tenant's bucket and
    // marker are from the first provisioning, under data keys that no longer exist.
    const copiedSecrets = await startPlatform({ ...stack.config, keyProvider: { ...stack.config.keyProvider, url: secondKeys.url }, gatewayPort: 0 });
    try {
      expect(await foreignTenantReason(copiedSecrets, demoTenant.id)).toBe('its bucket holds objects written under other data keys');
    } finally {
      await copiedSecrets.stop();
    }
  }, 60_000);

  it('counts a tenant as another installation\'s when its bucket is not in this object store (`.tessera/s3` removed)', async () => {
    const emptyStore = await startS3Server({ ...secondKey, tls: stack.pki.identity('s3') });
    const wiped = await startPlatform({ ...stack.config, keyProvider: { ...stack.config.keyProvider, url: secondKeys.url }, objectStore: { ...stack.config.objectStore, endpoint: emptyStore.endpoint, ...secondKey }, gatewayPort: 0 });
    try {
      expect(await foreignTenantReason(wiped, demoTenant.id)).toBe(`its bucket tessera-${demoTenant.id} is not in this object store`);
    } finally {
      await wiped.stop();
      await emptyStore.close();
    }
  }, 60_000);
});

import { ConfigError, defaultRelayFullSweepIntervalMs, type AuditChainConfig } from '@tessera/config';
import type { JWK } from 'jose';
import { errors } from '@tessera/errors';
import { requireObjectStoreConfig, type ServiceRuntime } from '@tessera/service-kit';
import type { AuditChainDeps } from './audit-chain.service';
import { AuditCheckpointService } from './audit-checkpoint.service';
import { AuditRelay } from './audit-relay.service';
import type { ChainActivity } from './chain-activity';
import { CheckpointSigner } from './checkpoint-signer';

export interface AuditChainRuntime {
  /** Signer + checkpoint store, ready once the key is imported (rejects without a key). */
  deps(): Promise<AuditChainDeps>;
  /** Starts the relay and checkpoint loops; throws a ConfigError without AUDIT_SIGNING_KEY. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const missingKey = () =>
  new ConfigError(['AUDIT_SIGNING_KEY: required by the audit service (a private Ed25519 "OKP" or P-256 "EC" JSON Web Key) (not set)']);

/**
 * The audit service's tamper-evidence machinery: checkpoint signing and the background
 * outbox → chain relay. The audit service does not start without a signing key: checkpoints
 * nobody can verify would be worse than none. Nothing runs until start().
 */
export function createAuditChainRuntime(runtime: ServiceRuntime, config: AuditChainConfig | undefined, activity?: ChainActivity): AuditChainRuntime {
  let ready: Promise<AuditChainDeps> | undefined;
  const deps = (): Promise<AuditChainDeps> => {
    if (!config?.signingKey) return Promise.reject(missingKey());
    ready ??= CheckpointSigner.fromJwk(config.signingKey as JWK, config.verifyKeys as JWK[]).then((signer) => ({
      db: runtime.db,
      controlSchema: runtime.config.database.controlSchema,
      keyring: runtime.keyring,
      signer,
      checkpoints: new AuditCheckpointService({
        db: runtime.db,
        objectStore: runtime.objectStore,
        // The tenant's region's store: a checkpoint copy lives where the rest of the tenant's bytes do.
        objectStoreFor: async (tenantId) => {
          const tenant = await runtime.directory.find(tenantId);
          if (!tenant) throw errors.notFound('Tenant', tenantId);
          return runtime.objectStores.forTenant(tenant);
        },
        bucketPrefix: requireObjectStoreConfig(runtime).bucketPrefix,
        signer,
        retentionDays: config.checkpointRetentionDays,
        keyring: runtime.keyring,
      }),
    }));
    return ready;
  };
  let relay: AuditRelay | undefined;
  return {
    deps,
    start: async () => {
      if (!config?.signingKey) throw missingKey();
      const { checkpoints } = await deps();
      relay = new AuditRelay({
        db: runtime.db,
        tenants: runtime.tenants,
        controlSchema: runtime.config.database.controlSchema,
        checkpoints,
        logger: runtime.logger.child({ component: 'audit-chain' }),
        keyring: runtime.keyring,
        relayIntervalMs: config.relayIntervalMs,
        fullSweepIntervalMs: config.relayFullSweepIntervalMs ?? defaultRelayFullSweepIntervalMs,
        ...(activity ? { activity } : {}),
        checkpointIntervalMs: config.checkpointIntervalMs,
      });
      relay.start();
    },
    close: async () => {
      await relay?.stop();
    },
  };
}

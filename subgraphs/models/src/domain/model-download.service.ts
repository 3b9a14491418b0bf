import type { Readable } from 'node:stream';
import { assertPermission } from '@tessera/auth';
import { recordAuditEvent } from '@tessera/audit-client';
import type { TenantScope } from '@tessera/tenancy';
import { ModelEntity } from '../data/model.entity';
import { parseId } from './model-input';
import { modelNotFound } from './model-not-found';
import { activeVersionQuery } from './model.service';
import { modelKeys } from '../data/model-keys';

/** What a download's headers say: a HEAD answers these alone. */
export interface ModelDownloadHead {
  filename: string;
  byteSize: number;
  sha256: string;
}

export interface ModelDownload extends ModelDownloadHead {
  content: Readable;
}

/**
 * The ONNX file of a version, decrypted on the way out. Needs `write` (data_scientist or admin):
 * the weights are the tenant's asset, and viewers only need to call the model. The download is
 * audited before the first byte leaves.
 */
export class ModelDownloadService {
  constructor(private readonly scope: TenantScope) {}

  async open(id: string): Promise<ModelDownload> {
    assertPermission(this.scope.principal, 'write');
    const versionId = parseId(id, 'versionId');
    const found = await this.scope.transaction(async (manager) => {
      const version = await activeVersionQuery(manager).where('v.id = :id', { id: versionId }).getOne();
      if (!version) throw await modelNotFound(this.scope, 'ModelVersion', versionId);
      const model = await manager.getRepository(ModelEntity).findOneByOrFail({ id: version.modelId });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'model.download',
        targetType: 'ModelVersion',
        targetId: version.id,
        details: { modelId: model.id, number: version.number, bytes: version.byteSize },
      });
      return { version, model };
    });
    const content = await this.scope.bucket.getDecrypted(found.version.objectKey, modelKeys(this.scope).resolver(found.version.modelId));
    return { ...headOf(found.model.name, found.version), content };
  }

  /**
   * The headers of a download (HEAD), under the same permission: the version's row only — no
   * object read, nothing decrypted, no `model.download` recorded, as no byte of the file leaves.
   */
  async head(id: string): Promise<ModelDownloadHead> {
    assertPermission(this.scope.principal, 'write');
    const versionId = parseId(id, 'versionId');
    return this.scope.db(async (manager) => {
      const version = await activeVersionQuery(manager).where('v.id = :id', { id: versionId }).getOne();
      if (!version) throw await modelNotFound(this.scope, 'ModelVersion', versionId);
      const model = await manager.getRepository(ModelEntity).findOneByOrFail({ id: version.modelId });
      return headOf(model.name, version);
    });
  }
}

function headOf(modelName: string, version: { number: number; byteSize: number; sha256: string }): ModelDownloadHead {
  const safeName = modelName.replace(/[^A-Za-z0-9._-]+/g, '_');
  return { filename: `${safeName}-v${version.number}.onnx`, byteSize: version.byteSize, sha256: version.sha256 };
}

import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { pageOf, parseUuid, type Connection, type PageArgs } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { ModelEntity, type Model } from '../data/model.entity';

/** The model registry of one tenant (versions, aliases and inference arrive with the registry issue). */
export class ModelService {
  constructor(private readonly scope: TenantScope) {}

  async list(args: PageArgs): Promise<Connection<Model>> {
    assertPermission(this.scope.principal, 'read');
    return this.scope.db((manager) => pageOf(manager.getRepository(ModelEntity).createQueryBuilder('m'), 'm', args));
  }

  async get(id: string): Promise<Model> {
    assertPermission(this.scope.principal, 'read');
    const modelId = parseUuid(id, 'id');
    const model = await this.scope.db((manager) => manager.getRepository(ModelEntity).findOneBy({ id: modelId }));
    if (!model) throw errors.notFound('Model', modelId);
    return model;
  }
}

import { EntitySchema } from 'typeorm';

/** A movable name (`staging`, `production`, …) for one version of a model. */
export interface ModelAlias {
  modelId: string;
  alias: string;
  versionId: string;
  updatedBy: string;
  updatedAt: Date;
}

export const ModelAliasEntity = new EntitySchema<ModelAlias>({
  name: 'ModelAlias',
  tableName: 'model_aliases',
  columns: {
    modelId: { name: 'model_id', type: 'char', length: 36, primary: true },
    alias: { type: 'varchar', length: 64, primary: true },
    versionId: { name: 'version_id', type: 'char', length: 36 },
    updatedBy: { name: 'updated_by', type: 'varchar', length: 255 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});

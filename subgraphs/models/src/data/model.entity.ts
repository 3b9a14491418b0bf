import { EntitySchema } from 'typeorm';

export interface Model {
  id: string;
  name: string;
  description: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export const ModelEntity = new EntitySchema<Model>({
  name: 'Model',
  tableName: 'models',
  columns: {
    id: { type: 'char', length: 36, primary: true },
    name: { type: 'varchar', length: 128 },
    description: { type: 'varchar', length: 1000, nullable: true },
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});

export const modelEntities = [ModelEntity];

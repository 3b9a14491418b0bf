import { ModelAliasEntity } from './model-alias.entity';
import { ModelUploadEntity } from './model-upload.entity';
import { ModelVersionEntity } from './model-version.entity';
import { ModelEntity } from './model.entity';

export const modelEntities = [ModelEntity, ModelVersionEntity, ModelAliasEntity, ModelUploadEntity];

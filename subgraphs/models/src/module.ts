import type { EntitySchema } from 'typeorm';
import type { SubgraphModule } from '@tessera/service-kit';
import { modelEntities, modelsSubgraph } from './server';
import { createModelServing, type ModelServing, type ModelServingOptions } from './serving/model-serving';
import { modelsData } from './tables';

export interface ModelsModuleOptions {
  /** A ModelServing made by the caller (who then closes it); otherwise the module makes its own. */
  modelServing?: ModelServing;
  /** Inference pools and stats when the module makes its own ModelServing. */
  inference?: ModelServingOptions;
}

export const modelsModule: SubgraphModule<ModelsModuleOptions> = {
  name: 'models',
  entities: modelEntities as EntitySchema[],
  data: modelsData,
  build: (runtime, options) => {
    // Only the models service runs inference: one set of tenant pools per process that serves it.
    const owned = options.modelServing ? undefined : createModelServing(runtime, options.inference);
    const definition = modelsSubgraph({ serving: options.modelServing ?? owned });
    return owned ? { ...definition, close: async () => owned.close() } : definition;
  },
};

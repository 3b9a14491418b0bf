export { modelsSubgraph, modelEntities } from './server';

export { jobsSubgraph, jobEntities } from './server';

export { auditSubgraph, auditEntities } from './server';

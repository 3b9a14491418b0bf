export { startKeyService, type RunningKeyService } from './key-service';
export { startKeyServiceProcess, type KeyServiceProcessOptions, type RunningKeyServiceProcess } from './key-service-process';
export { readKeyServiceEnvironment, keyServiceEnvironment, defaultKeyClients, type KeyServiceConfig } from './key-service-environment';
export { runKeyService } from './main';

export { startConsoleServer, contentSecurityPolicy, type ConsoleRuntimeConfig, type ConsoleServerOptions, type RunningConsoleServer } from './static-server';
export { ensureConsoleBuilt, consoleBuildIsCurrent, distDirectory } from './build';
/** The console's client id at the dev issuer (`npm start` registers it with its redirect URIs). */
export const consoleClientId = 'tessera-console';
export { readConsoleEnvironment, type ConsoleEnvironment } from './environment';

export { startIssuer } from './issuer.js';
export type { BrowserClient, DevClient, IssuerOptions, JWK, RunningIssuer } from './issuer.js';
export { fetchClientCredentialsToken, registerClient } from './client.js';
export type { RegisterClientInput, RegisteredClient } from './client.js';

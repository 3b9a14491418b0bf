/**
 * The tenants service's published port (`@tessera/tenants/ports`): what other services use of its
 * access tables — the gateway to authorize callers, the audit service for the access review — on
 * the SELECT (and the two narrow writes) its table declarations publish to them.
 */
export * from './access-directory';
export * from './access-changes';
export { apiKeyPrefix, looksLikeApiKey, parseApiKey, apiKeySecretMatches, type ParsedApiKey } from './api-key-format';
export * from './tenant-erasures';

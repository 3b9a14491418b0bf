export * from './roles';
export * from './principal';
export { readClaim } from './claims';
export { createAccessTokenVerifier, type AccessTokenVerifier, type AccessTokenVerifierOptions, type VerifiedAccessToken } from './access-token-verifier';
export * from './internal-context';
export * from './shield-rules';
export * from './assert-permission';
export * from './service-token';
export * from './job-grant';

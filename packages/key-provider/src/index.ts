export { wrappedKeyVersion, type KeyEncryptionKeyStatus, type KeyProvider } from './key-provider';
export { KeyProviderError, isKeyProviderError, type KeyProviderErrorCode } from './key-provider-error';
export { VaultTransitKeyProvider, type VaultTransitOptions } from './vault-transit-key-provider';
export { VaultTokenSource, type VaultAuthOptions, type VaultAuthResponse, type VaultTokenState } from './vault-auth';

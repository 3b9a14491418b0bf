export type KeyProviderErrorCode =
  /** Could not reach the provider, or it answered 5xx: retry later. */
  | 'KEY_PROVIDER_UNAVAILABLE'
  /** The provider refused this caller (401/403): a configuration error, never retried. */
  | 'KEY_PROVIDER_DENIED'
  /** The wrap does not open: wrong context, tampered, or unknown key. The same code for all, on purpose. */
  | 'KEY_UNWRAP_FAILED'
  /** The wrap's version is retired (below min_decryption_version) or destroyed. */
  | 'KEY_VERSION_RETIRED'
  /** The provider refused the request itself (bad version numbers, unknown key). */
  | 'KEY_PROVIDER_REJECTED';

/** A key provider failure with a code; `message` never holds key material or ciphertext. */
export class KeyProviderError extends Error {
  constructor(
    readonly code: KeyProviderErrorCode,
    message: string,
    /** The provider's HTTP status, when it answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeyProviderError';
  }
}

export function isKeyProviderError(error: unknown, code?: KeyProviderErrorCode): error is KeyProviderError {
  return error instanceof KeyProviderError && (code === undefined || error.code === code);
}

export type CryptoErrorCode =
  | 'KEY_UNWRAP_FAILED'
  | 'OBJECT_TAMPERED'
  | 'INVALID_MASTER_KEY'
  | 'INVALID_DATA_KEY'
  | 'INVALID_ARGUMENT'
  | 'OBJECT_TOO_LARGE';

/**
 * Deliberately not a TesseraError: these failures are internal (a bad key or a corrupted object
 * is never the client's fault to fix), so callers decide how to surface them — usually as an
 * internal error — and this package stays free of GraphQL.
 */
export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'CryptoError';
  }
}

export function isCryptoError(error: unknown): error is CryptoError {
  return error instanceof CryptoError;
}

export { errorCodes, isErrorCode, type ErrorCode } from './codes';
export { TesseraError, isTesseraError, errors, toClientError, dependencyUnavailableMessage, type ErrorDetails } from './tessera-error';
export { createErrorMasker, type MaskErrorOptions } from './mask-error';
export { isDependencyUnavailable } from './dependency-failure';

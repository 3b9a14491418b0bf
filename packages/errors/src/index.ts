export { errorCodes, isErrorCode, type ErrorCode } from './codes';
export { TesseraError, isTesseraError, errors, type ErrorDetails } from './tessera-error';
export { createErrorMasker, type MaskErrorOptions } from './mask-error';

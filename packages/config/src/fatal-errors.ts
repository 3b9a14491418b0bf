import { createLogger, type LogFields } from './logger';

/**
 * The last resort of a service process: an error nothing handled (a rejected promise nobody
 * awaited, an exception thrown from a timer or an event listener) ends the process, as Node does
 * by default, since its state is no longer known; but first it writes one structured error line
 * (message and stack, with `fields`, e.g. the service name) so the crash can be diagnosed from the
 * logs instead of from Node's bare trace. Written at error level whatever LOG_LEVEL says: a
 * process that ends must say why. Install it first thing in each entry point.
 */
export function exitOnUnhandledErrors(fields: LogFields = {}): void {
  const logger = createLogger('error', fields);
  const end = (kind: 'unhandledRejection' | 'uncaughtException') => (reason: unknown) => {
    try {
      logger.error(`process ending: ${kind === 'unhandledRejection' ? 'unhandled promise rejection' : 'uncaught exception'}`, { kind, ...describe(reason) });
    } finally {
      process.exit(1);
    }
  };
  process.on('unhandledRejection', end('unhandledRejection'));
  process.on('uncaughtException', end('uncaughtException'));
}

function describe(reason: unknown): LogFields {
  if (!(reason instanceof Error)) return { error: String(reason) };
  const code = (reason as { code?: unknown }).code;
  return { error: reason.message, errorName: reason.name, ...(code !== undefined ? { errorCode: String(code) } : {}), stack: reason.stack };
}

import { RecurringFailureLog, type LogFields, type Logger } from '../src';

interface Line {
  level: string;
  message: string;
  fields: LogFields;
}

function capturingLogger(lines: Line[]): Logger {
  const at = (level: string) => (message: string, fields: LogFields = {}) => void lines.push({ level, message, fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

describe('RecurringFailureLog: a failing background task per key is logged once, then rarely', () => {
  let now = 0;
  let lines: Line[];
  let log: RecurringFailureLog;

  beforeEach(() => {
    now = 1_000_000;
    lines = [];
    log = new RecurringFailureLog(capturingLogger(lines), 'relay failed', { repeatEveryMs: 60_000, now: () => now });
  });

  it('logs the first failure at once and holds back the same failure until repeatEveryMs has passed', () => {
    log.failed('acme', new Error('key does not unwrap'), { tenantId: 'acme' });
    for (let pass = 0; pass < 59; pass += 1) {
      now += 1_000;
      log.failed('acme', new Error('key does not unwrap'), { tenantId: 'acme' });
    }
    expect(lines).toEqual([{ level: 'warn', message: 'relay failed', fields: { tenantId: 'acme', error: 'key does not unwrap' } }]);
    now += 1_000;
    log.failed('acme', new Error('key does not unwrap'), { tenantId: 'acme' });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({
      level: 'warn',
      message: 'relay failed',
      fields: { tenantId: 'acme', error: 'key does not unwrap', failingSince: new Date(1_000_000).toISOString(), failures: 61, notLoggedSinceLast: 59 },
    });
  });

  it('logs a changed failure at once, keeps the time it began, and says when the key recovers', () => {
    log.failed('acme', 'table missing');
    now += 500;
    log.failed('acme', 'connection lost');
    expect(lines.map((line) => line.fields['error'])).toEqual(['table missing', 'connection lost']);
    expect(lines[1]!.fields).toMatchObject({ failingSince: new Date(1_000_000).toISOString(), failures: 2 });
    now += 500;
    log.succeeded('acme', { tenantId: 'acme' });
    expect(lines[2]).toEqual({ level: 'info', message: 'relay failed: recovered', fields: { tenantId: 'acme', failingSince: new Date(1_000_000).toISOString(), failures: 2 } });
    // After a recovery the next failure is news again.
    log.failed('acme', 'table missing');
    expect(lines).toHaveLength(4);
  });

  it('keeps keys apart, says nothing for a key that never failed, and forgets keys that are gone', () => {
    log.succeeded('globex');
    log.failed('acme', 'x');
    log.failed('globex', 'x');
    log.failed('acme', 'x');
    expect(lines).toHaveLength(2);
    expect(log.failingKeys().sort()).toEqual(['acme', 'globex']);
    log.forgetAllBut(['globex']);
    expect(log.failingKeys()).toEqual(['globex']);
    log.failed('acme', 'x');
    expect(lines).toHaveLength(3);
  });

  it('logs at error level when asked to', () => {
    const errorLog = new RecurringFailureLog(capturingLogger(lines), 'detection failed', { repeatEveryMs: 1, level: 'error' });
    errorLog.failed('acme', 'boom');
    expect(lines[0]).toMatchObject({ level: 'error', message: 'detection failed' });
  });
});

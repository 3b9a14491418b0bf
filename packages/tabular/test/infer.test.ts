import { inferValueType, mergeColumnTypes } from '../src';

describe('inferValueType', () => {
  it('treats only the empty string as null', () => {
    expect(inferValueType('')).toBeNull();
    expect(inferValueType(' ')).toBe('STRING');
  });

  it.each(['0', '42', '-7', '+7', '007', '9007199254740991', '-9007199254740991'])('%s is an INTEGER', (v) => {
    expect(inferValueType(v)).toBe('INTEGER');
  });

  it('treats integers beyond the safe range as FLOAT', () => {
    expect(inferValueType('9007199254740992')).toBe('FLOAT');
    expect(inferValueType('-12345678901234567890')).toBe('FLOAT');
  });

  it.each(['1.5', '-0.25', '.5', '5.', '+3.0', '1e10', '1E-3', '-2.5e+7'])('%s is a FLOAT', (v) => {
    expect(inferValueType(v)).toBe('FLOAT');
  });

  it.each(['NaN', 'nan', 'Infinity', '-Infinity', 'inf', '1e999', '1.2.3', '1,5', '0x1F', '1_000', '12 ', ' 12', '--1', 'e5', '.'])(
    '%s is not a number',
    (v) => {
      expect(inferValueType(v)).toBe('STRING');
    },
  );

  it.each(['true', 'false', 'TRUE', 'False', 'tRuE'])('%s is a BOOLEAN', (v) => {
    expect(inferValueType(v)).toBe('BOOLEAN');
  });

  it.each(['yes', 'no', 't', 'f', 'truee'])('%s is not a BOOLEAN', (v) => {
    expect(inferValueType(v)).toBe('STRING');
  });

  it.each([
    '2024-02-29',
    '2024-01-31T23:59',
    '2024-01-31T23:59:59',
    '2024-01-31T23:59:59.123456Z',
    '2024-01-31T23:59:59+02:00',
    '2024-01-31T23:59:59-0530',
    '2024-01-31 08:00:00',
    '2024-01-31t08:00z',
  ])('%s is a DATETIME', (v) => {
    expect(inferValueType(v)).toBe('DATETIME');
  });

  it.each(['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-01-01T24:00', '2024-01-01T12:60', '24-01-01', '2024/01/01', '01/02/2024', '2024-01-01T'])(
    '%s is not a DATETIME',
    (v) => {
      expect(inferValueType(v)).toBe('STRING');
    },
  );
});

describe('mergeColumnTypes', () => {
  it('widens INTEGER and FLOAT to FLOAT and any other mix to STRING', () => {
    expect(mergeColumnTypes('INTEGER', 'INTEGER')).toBe('INTEGER');
    expect(mergeColumnTypes('INTEGER', 'FLOAT')).toBe('FLOAT');
    expect(mergeColumnTypes('FLOAT', 'INTEGER')).toBe('FLOAT');
    expect(mergeColumnTypes('INTEGER', 'BOOLEAN')).toBe('STRING');
    expect(mergeColumnTypes('DATETIME', 'FLOAT')).toBe('STRING');
    expect(mergeColumnTypes('STRING', 'INTEGER')).toBe('STRING');
  });
});

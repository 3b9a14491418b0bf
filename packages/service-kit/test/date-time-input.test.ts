import { isCalendarDay, parseDateTimeInput } from '../src/date-time-input';

describe('DateTime arguments', () => {
  it('take ISO-8601 with a time zone on a day that exists', () => {
    expect(parseDateTimeInput('2026-02-28T23:59:59.5+01:00', 'from').toISOString()).toBe('2026-02-28T22:59:59.500Z');
    expect(parseDateTimeInput('2024-02-29T00:00:00Z', 'from').toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it.each(['2026-02-30T09:00:00Z', '2026-11-31T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-12-06T07:00:00', '2026-12-06', 'March 7', '1', '2026-12-06T25:00:00Z', '1969-12-31T23:59:59Z', '1970-01-01T00:00:00+01:00'])(
    'refuse %s with BAD_USER_INPUT naming the field',
    (value) => {
      expect(() => parseDateTimeInput(value, 'from')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'from' }) }));
    },
  );

  it('knows the calendar', () => {
    expect([isCalendarDay(2024, 2, 29), isCalendarDay(2100, 2, 29), isCalendarDay(2000, 2, 29), isCalendarDay(2026, 4, 31), isCalendarDay(1, 1, 1), isCalendarDay(275760, 1, 1)]).toEqual([true, false, true, false, true, true]);
  });
});

import { ColumnAccumulator, DistinctBudget, defaultDistinctBudgetBytes } from '@tessera/workers';

/**
 * A profile's exact distinct counts share one memory budget across its columns: 10 000 values per
 * column bounds a narrow file, not a wide one (1 000 columns of distinct values were ten million
 * map entries in a worker that runs other tenants' jobs too).
 */
describe('profile columns: one budget for exact distinct counts', () => {
  const distinct = (column: number, row: number) => `c${column}-v${row}`;

  it('a column that cannot pay for its next value goes over to the estimate and gives its share back; the others stay exact', () => {
    // Room for about 100 short values.
    const budget = new DistinctBudget(100 * 110);
    const wide = new ColumnAccumulator('wide', 'STRING', budget);
    const narrow = new ColumnAccumulator('narrow', 'STRING', budget);
    for (let row = 0; row < 1_000; row++) {
      wide.add(distinct(0, row));
      narrow.add(row % 2 === 0 ? 'even' : 'odd');
    }
    const wideResult = wide.result();
    expect(wideResult).toMatchObject({ count: 1_000, distinctExact: false });
    // The estimate still sees every value (the sketch is not part of the budget).
    expect(wideResult.distinctEstimate).toBeGreaterThan(900);
    expect(wideResult.distinctEstimate).toBeLessThan(1_100);
    expect(narrow.result()).toMatchObject({ count: 1_000, distinctEstimate: 2, distinctExact: true, topValues: [{ value: 'even', count: 500, truncated: false }, { value: 'odd', count: 500, truncated: false }] });
    // What the wide column held is back: a third column can count about 100 values exactly again.
    const third = new ColumnAccumulator('third', 'STRING', budget);
    for (let row = 0; row < 90; row++) third.add(distinct(3, row));
    expect(third.result()).toMatchObject({ distinctEstimate: 90, distinctExact: true });
  });

  it('repeats of a value already counted cost nothing', () => {
    const budget = new DistinctBudget(2 * 110);
    const column = new ColumnAccumulator('s', 'STRING', budget);
    for (let row = 0; row < 10_000; row++) column.add(row % 2 === 0 ? 'a' : 'b');
    expect(column.result()).toMatchObject({ count: 10_000, distinctEstimate: 2, distinctExact: true });
  });

  it('with the default budget a file of 400 columns of distinct values keeps only what the budget holds, and the columns it reaches first stay exact', () => {
    const budget = new DistinctBudget(defaultDistinctBudgetBytes);
    const columns = Array.from({ length: 400 }, (_, i) => new ColumnAccumulator(`c${i}`, 'STRING', budget));
    // 2 000 distinct values per column: 800 000 in all, beyond the budget (about 560 000 entries of this size).
    for (let row = 0; row < 2_000; row++) for (let c = 0; c < columns.length; c++) columns[c]!.add(distinct(c, row));
    const results = columns.map((column) => column.result());
    const exact = results.filter((r) => r.distinctExact);
    expect(exact.length).toBeGreaterThan(0);
    expect(exact.length).toBeLessThan(400);
    for (const r of exact) expect(r.distinctEstimate).toBe(2_000);
    for (const r of results) expect(r.count).toBe(2_000);
    // What the exact columns hold fits the budget: each entry is counted at its overhead plus two bytes a character.
    const cost = (c: number) => Array.from({ length: 2_000 }, (_, row) => 96 + 2 * distinct(c, row).length).reduce((a, b) => a + b, 0);
    const held = exact.reduce((sum, r) => sum + cost(Number(r.name.slice(1))), 0);
    expect(held).toBeLessThanOrEqual(defaultDistinctBudgetBytes);
  });

  it('numbers use no budget', () => {
    const budget = new DistinctBudget(0);
    const column = new ColumnAccumulator('x', 'FLOAT', budget);
    for (let row = 0; row < 100; row++) column.add(String(row));
    expect(column.result()).toMatchObject({ count: 100, min: 0, max: 99, mean: 49.5 });
  });
});

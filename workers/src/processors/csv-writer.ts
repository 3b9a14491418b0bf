/** RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

/** float32 results printed with the precision they have (no 0.30000001192092896). */
export function formatPrediction(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(7))) : '';
}

/**
 * Byte-for-byte comparison and grouping of a text column. The tenant schema's collation
 * (utf8mb4_unicode_ci) ignores case, accents and trailing spaces, so `actor_subject = 'abc'`
 * matched `ABC` and `abc `, and `GROUP BY actor_subject` made them one principal: other identities
 * at the identity provider (OIDC subjects are case-sensitive strings). A binary string compares
 * every byte and never pads, in MariaDB and MySQL alike.
 *
 * A filter keeps the collated `=` beside the exact one: that picks the rows by the column's index
 * (one range read, in index order), the exact test drops the few that only matched once folded.
 */
export function exactly(column: string): string {
  return `CAST(${column} AS BINARY)`;
}

/** `column = ?` exactly, still served by the column's index; binds the value twice. */
export function exactEquals(column: string): string {
  return `${column} = ? AND ${exactly(column)} = CAST(? AS BINARY)`;
}

import { errors } from '@tessera/errors';

/**
 * Relay-style cursor pagination over (created_at, id), the same in every subgraph. A cursor is
 * opaque to clients; it holds a position, not a tenant, so a cursor pasted into another tenant's
 * request only pages through that tenant's own rows.
 */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Position {
  createdAt: Date;
  id: string;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const maxPageSize = 100;
export const defaultPageSize = 20;

export function pageSize(args: PageArgs): number {
  const first = args.first ?? defaultPageSize;
  if (!Number.isInteger(first) || first < 1 || first > maxPageSize) {
    throw errors.badInput(`first must be between 1 and ${maxPageSize}.`, { field: 'first' });
  }
  return first;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): Position | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const createdAt = new Date(value[0]);
      // Only a time a DATETIME column holds (years 1000–9999): MySQL was sent any other as it came,
      // and one past 9999 listed the first page again instead of being refused.
      const year = createdAt.getUTCFullYear();
      if (!Number.isNaN(createdAt.getTime()) && year >= 1000 && year <= 9999 && /^[0-9a-f-]{36}$/.test(value[1])) return { createdAt, id: value[1] };
    }
  } catch {
    // fall through
  }
  throw errors.badInput('The cursor is not valid.', { field: 'after' });
}

/** Builds a connection from `limit + 1` rows fetched after the cursor. */
export function toConnection<T>(rows: T[], limit: number, positionOf: (row: T) => Position): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ node, cursor: encodeCursor(positionOf(node)) }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** Which end a page starts from: oldest first (every list's default) or newest first. */
export type PageOrder = 'ASC' | 'DESC';

/**
 * Applies a cursor page to a TypeORM query over an alias with `createdAt` and `id` columns,
 * oldest first unless `order` is DESC, and returns the connection. Keyset pagination: cost does
 * not grow with the page. A cursor holds only a position, so it pages on in whichever order it is
 * passed with.
 */
export async function pageOf<T extends { createdAt: Date; id: string }>(
  query: import('typeorm').SelectQueryBuilder<T>,
  alias: string,
  args: PageArgs,
  order: PageOrder = 'ASC',
): Promise<Connection<T>> {
  const limit = pageSize(args);
  const after = decodeCursor(args.after);
  if (after) {
    const beyond = order === 'ASC' ? '>' : '<';
    query.andWhere(`(${alias}.createdAt ${beyond} :pageAt OR (${alias}.createdAt = :pageAt AND ${alias}.id ${beyond} :pageId))`, { pageAt: after.createdAt, pageId: after.id });
  }
  const rows = await query.orderBy(`${alias}.createdAt`, order).addOrderBy(`${alias}.id`, order).take(limit + 1).getMany();
  return toConnection(rows, limit, (row) => row);
}

import { TesseraError } from '@tessera/errors';

/** What the range reads need of a connection: one statement at a time. */
export interface SqlReader {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** MariaDB's ER_STATEMENT_TIMEOUT: the server stopped the statement at its max_statement_time. */
const statementTimeout = 1969;

function stopped(maxSeconds: number): TesseraError {
  return new TesseraError('QUERY_TOO_COMPLEX', `This metrics read needed more than ${maxSeconds} s of database time and was stopped; ask for a shorter range or a coarser granularity.`, {
    limit: 'maxMetricsReadSeconds',
    limitValue: maxSeconds,
  });
}

/**
 * Every SELECT of one read runs under what is left of the read's budget of `maxSeconds`
 * (`SET STATEMENT max_statement_time=… FOR …`): the server itself stops a statement at its time,
 * wherever the time goes (aggregating, waiting for a lock), so no read holds its connection longer,
 * whatever the client does meanwhile. A stopped read is QUERY_TOO_COMPLEX naming the limit, not an
 * internal error: asking again for the same range would be stopped again.
 */
export function timeCappedReader(connection: SqlReader, maxSeconds: number): SqlReader {
  const deadline = Date.now() + maxSeconds * 1000;
  return {
    async query(sql: string, params?: unknown[]): Promise<unknown> {
      const left = (deadline - Date.now()) / 1000;
      if (left <= 0) throw stopped(maxSeconds);
      // At least a millisecond: 0 would mean "no limit" to the server.
      try {
        return await connection.query(`SET STATEMENT max_statement_time=${Math.max(left, 0.001).toFixed(3)} FOR ${sql}`, params);
      } catch (error) {
        if ((error as { errno?: unknown }).errno === statementTimeout) throw stopped(maxSeconds);
        throw error;
      }
    },
  };
}

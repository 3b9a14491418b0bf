/** MySQL's "duplicate entry" (a unique key said no), however TypeORM wraps it. */
export function isDuplicateKey(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string }; code?: string } | null) ?? {};
  return driverError.driverError?.code === 'ER_DUP_ENTRY' || driverError.code === 'ER_DUP_ENTRY';
}

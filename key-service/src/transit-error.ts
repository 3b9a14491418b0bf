/** An answer of the transit API other than success: Vault's shape, `{"errors": [...]}` with this status. */
export class TransitError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TransitError';
  }
}

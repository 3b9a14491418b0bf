/** A failure the user can act on: printed as is (no stack), then the process exits with `exitCode`. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

/** Exit code when a required service (MariaDB, Redis) is missing or refuses us. */
export const exitServiceUnavailable = 2;

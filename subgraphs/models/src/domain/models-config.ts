export interface ModelsConfig {
  /** How long a reserved upload URL stays usable. */
  uploadTtlSeconds: number;
  predict: {
    /** Rows (first dimension of each input) one predict call may send. */
    maxRows: number;
    /** Values one predict call may send, over all inputs (the request body is capped at 1 MB too). */
    maxValues: number;
  };
}

export const defaultModelsConfig: ModelsConfig = {
  uploadTtlSeconds: 15 * 60,
  predict: { maxRows: 1024, maxValues: 100_000 },
};

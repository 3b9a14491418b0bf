export interface ModelsConfig {
  /** How long a reserved upload URL stays usable. */
  uploadTtlSeconds: number;
  uploads: {
    /**
     * Bytes of model uploads this process holds in memory at once (MODEL_UPLOAD_MEMORY_BYTES); one
     * tenant at most half of it. An upload reserves its declared size before its body is read.
     */
    memoryBytes: number;
    /**
     * Longest an upload may hold its reservation of that memory before its whole body is in
     * (MODEL_UPLOAD_MEMORY_HOLD_MS); past it the upload is cut and stays PENDING, to be sent again.
     */
    memoryHoldMs: number;
    /** Threads that validate uploaded ONNX files at once, off the event loop (MODEL_VALIDATION_THREADS). */
    validationThreads: number;
    /** Files smaller than this are validated on the event loop: a thread's round trip costs as much as they do. */
    inlineValidationBelowBytes: number;
  };
  predict: {
    /** Rows (first dimension of each input) one predict call may send. */
    maxRows: number;
    /** Values one predict call may send, over all inputs (the request body is capped at 1 MB too). */
    maxValues: number;
  };
}

export const defaultModelsConfig: ModelsConfig = {
  uploadTtlSeconds: 15 * 60,
  uploads: { memoryBytes: 512 * 1024 * 1024, memoryHoldMs: 10 * 60_000, validationThreads: 1, inlineValidationBelowBytes: 32 * 1024 },
  predict: { maxRows: 1024, maxValues: 100_000 },
};

/** Rows a training or inference job holds in a worker's memory at most (the submit checks the same bound). */
export const maxTrainingRows = 1_000_000;

/** Rows sent to the model in one session.run of a batch-inference job. */
export const inferenceChunkRows = 2048;

/** Rows a training or inference job holds in a worker's memory at most (the submit checks the same bound). */
export const maxTrainingRows = 1_000_000;

/** Rows sent to the model in one session.run of a batch-inference job, at most. */
export const inferenceChunkRows = 2048;

/**
 * Rows per run once the model's values per row are known: as many as fit the inference pools'
 * output cap (`maxOutputValues`, values per call), at most `inferenceChunkRows`, at least one. Until
 * the first answer says how wide a row's answer is, one row at a time: a first chunk of 2048 rows
 * of a 1 000-class model would be over the cap before its width is known.
 */
export function inferenceRowsPerRun(valuesPerRow: number | undefined, maxOutputValues: number): number {
  if (valuesPerRow === undefined) return 1;
  return Math.max(1, Math.min(inferenceChunkRows, Math.floor(maxOutputValues / Math.max(1, valuesPerRow))));
}

/** Names of the single input and output of a built model; the defaults are what the demo and tests use. */
export interface IoNames {
  inputName?: string;
  outputName?: string;
}

export const DEFAULT_INPUT_NAME = 'input';
export const DEFAULT_OUTPUT_NAME = 'output';

export function resolveIoNames(names: IoNames): { input: string; output: string } {
  const input = names.inputName ?? DEFAULT_INPUT_NAME;
  const output = names.outputName ?? DEFAULT_OUTPUT_NAME;
  if (input.length === 0 || output.length === 0) throw new RangeError('input and output names must not be empty');
  if (input === output) throw new RangeError(`input and output names must differ (both are "${input}")`);
  // Internal tensors are prefixed "tessera/"; refusing the prefix keeps user names from colliding with them.
  if (input.startsWith('tessera/') || output.startsWith('tessera/')) {
    throw new RangeError('input and output names must not start with "tessera/"');
  }
  return { input, output };
}

/** The symbolic batch dimension every built model uses, so any number of rows can be sent. */
export const BATCH_DIM = 'batch';

import { DataType } from '../onnx-schema';
import { attribute, boolTensor, buildModel, int64Tensor, node, valueInfo } from '../model-builder';
import { BATCH_DIM, resolveIoNames, type IoNames } from './io-names';

export interface MemoryHungryModelSpec extends IoNames {
  /** Features of the `[batch, F]` input (default 4). */
  features?: number;
  /** Size of the intermediate tensor per input row, MiB (default 512). */
  megabytesPerRow?: number;
  /** Tanh passes over the intermediate tensor; the default (1e18) never finishes in practice. */
  iterations?: number;
}

/**
 * TEST FIXTURE: a valid model whose run needs a lot of memory, and keeps it. It broadcasts the input
 * `[batch, F]` to `[copies, batch, F]` (Expand: `megabytesPerRow` MiB per row, allocated at run time,
 * so nothing is folded at load), applies Tanh to that tensor `iterations` times in a Loop (the big
 * tensor stays alive the whole time), then averages the copies back to `[batch, F]`. What the
 * inference pools' memory cap tests need: a process whose resident memory grows during `session.run`.
 * Input `[batch, F]` float32 → output `[batch, F]` float32 (about tanh applied `iterations` times; the mean
 * over millions of copies is not exact in float32).
 */
export function buildMemoryHungryModel(spec: MemoryHungryModelSpec = {}): Uint8Array {
  const { input, output } = resolveIoNames(spec);
  const features = spec.features ?? 4;
  const megabytes = spec.megabytesPerRow ?? 512;
  const iterations = spec.iterations ?? 1e18;
  if (!Number.isSafeInteger(features) || features < 1) throw new RangeError('features must be a positive integer');
  if (!Number.isInteger(megabytes) || megabytes < 1 || megabytes > 64 * 1024) throw new RangeError('megabytesPerRow must be an integer in 1..65536');
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 2 ** 62) throw new RangeError('iterations must be an integer in 1..2^62');
  const copies = Math.ceil((megabytes * 1024 * 1024) / (4 * features));
  // Loop body: (iteration, condition, state) -> (condition, tanh(state)).
  const body = {
    name: 'churn',
    node: [
      node('Identity', ['condition_in'], ['condition_out'], { name: 'keep_going' }),
      node('Tanh', ['state_in'], ['state_out'], { name: 'step' }),
    ],
    input: [
      valueInfo('iteration', DataType.INT64, []),
      valueInfo('condition_in', DataType.BOOL, []),
      valueInfo('state_in', DataType.FLOAT),
    ],
    output: [valueInfo('condition_out', DataType.BOOL, []), valueInfo('state_out', DataType.FLOAT)],
  };
  return buildModel({
    docString: 'TEST FIXTURE: holds a big intermediate tensor while it runs (@tessera/onnx buildMemoryHungryModel)',
    graph: {
      name: 'memory_hungry_model',
      node: [
        node('Expand', [input, 'tessera/copies_shape'], ['tessera/copies'], { name: 'broadcast_copies' }),
        node('Loop', ['tessera/trip_count', 'tessera/keep_going', 'tessera/copies'], ['tessera/churned'], {
          name: 'churn_loop',
          attributes: [attribute.graph('body', body)],
        }),
        node('ReduceMean', ['tessera/churned'], [output], { name: 'average_copies', attributes: [attribute.ints('axes', [0]), attribute.int('keepdims', 0)] }),
      ],
      initializer: [
        int64Tensor('tessera/copies_shape', [3], [copies, 1, 1]),
        int64Tensor('tessera/trip_count', [], [iterations]),
        boolTensor('tessera/keep_going', [], [true]),
      ],
      input: [valueInfo(input, DataType.FLOAT, [BATCH_DIM, features])],
      output: [valueInfo(output, DataType.FLOAT, [BATCH_DIM, features])],
    },
  });
}

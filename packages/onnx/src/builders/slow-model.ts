import { DataType } from '../onnx-schema';
import { attribute, boolTensor, buildModel, int64Tensor, node, valueInfo } from '../model-builder';
import { BATCH_DIM, resolveIoNames, type IoNames } from './io-names';

export interface SlowModelSpec extends IoNames {
  /** Features of the `[batch, F]` input (default 4). */
  features?: number;
  /** Loop trip count; the default (1e18) never finishes in practice. */
  iterations?: number;
}

/**
 * TEST FIXTURE: a valid model that runs "forever" on any input. A Loop with a huge trip count
 * applies Tanh to the state on every iteration; nothing inside onnxruntime can shortcut it, and a
 * running `session.run` cannot be cancelled, so only killing the process (or worker) stops it —
 * exactly what the inference pools' isolation and timeout tests need.
 * Input `[batch, F]` float32 → output `[batch, F]` float32.
 */
export function buildSlowModel(spec: SlowModelSpec = {}): Uint8Array {
  const { input, output } = resolveIoNames(spec);
  const features = spec.features ?? 4;
  const iterations = spec.iterations ?? 1e18;
  if (!Number.isSafeInteger(features) || features < 1) throw new RangeError('features must be a positive integer');
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 2 ** 62) throw new RangeError('iterations must be an integer in 1..2^62');
  // Loop body: (iteration, condition, state) -> (condition, tanh(state)).
  const body = {
    name: 'spin',
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
    docString: 'TEST FIXTURE: loops practically forever (@tessera/onnx buildSlowModel)',
    graph: {
      name: 'slow_model',
      node: [
        node('Loop', ['tessera/trip_count', 'tessera/keep_going', input], [output], {
          name: 'spin_loop',
          attributes: [attribute.graph('body', body)],
        }),
      ],
      initializer: [int64Tensor('tessera/trip_count', [], [iterations]), boolTensor('tessera/keep_going', [], [true])],
      input: [valueInfo(input, DataType.FLOAT, [BATCH_DIM, features])],
      output: [valueInfo(output, DataType.FLOAT, [BATCH_DIM, features])],
    },
  });
}

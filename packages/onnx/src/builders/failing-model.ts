import { DataType } from '../onnx-schema';
import { attribute, buildModel, int64Tensor, node, valueInfo } from '../model-builder';
import { BATCH_DIM, resolveIoNames, type IoNames } from './io-names';

export interface FailingModelSpec extends IoNames {
  /** Features of the `[batch, F]` input (default 4). */
  features?: number;
}

/**
 * TEST FIXTURE: parses, passes validation, loads into an InferenceSession, and then throws inside
 * every `session.run`: it Gathers column 1,000,000 of the input, which onnxruntime only discovers
 * when it sees the data (the index is checked at run time, not at load time).
 * Input `[batch, F]` float32 → output `[batch, 1]` float32 (never produced).
 */
export function buildFailingModel(spec: FailingModelSpec = {}): Uint8Array {
  const { input, output } = resolveIoNames(spec);
  const features = spec.features ?? 4;
  if (!Number.isSafeInteger(features) || features < 1 || features >= 1_000_000) {
    throw new RangeError('features must be an integer in 1..999999');
  }
  return buildModel({
    docString: 'TEST FIXTURE: throws in session.run (@tessera/onnx buildFailingModel)',
    graph: {
      name: 'failing_model',
      node: [
        node('Gather', [input, 'tessera/out_of_range_index'], [output], {
          name: 'gather_out_of_range',
          attributes: [attribute.int('axis', 1)],
        }),
      ],
      initializer: [int64Tensor('tessera/out_of_range_index', [1], [1_000_000])],
      input: [valueInfo(input, DataType.FLOAT, [BATCH_DIM, features])],
      output: [valueInfo(output, DataType.FLOAT, [BATCH_DIM, 1])],
    },
  });
}

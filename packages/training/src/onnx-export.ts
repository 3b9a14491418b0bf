import { buildLinearRegression, buildLogisticRegression, buildMlp } from '@tessera/onnx';
import type { TrainedModel } from './trained-model';

/** The trained model as ONNX (input `[N, F]` float32 named `input`, output `[N, 1]` named `output`). */
export function exportOnnx(model: TrainedModel): Uint8Array {
  switch (model.kind) {
    case 'LINEAR_REGRESSION':
      return buildLinearRegression({ weights: model.weights, bias: model.bias });
    case 'LOGISTIC_REGRESSION':
      return buildLogisticRegression({ weights: model.weights, bias: model.bias });
    case 'MLP':
      return buildMlp({ layers: model.layers.map((layer) => ({ weights: layer.weights, bias: layer.bias, activation: layer.activation })) });
  }
}

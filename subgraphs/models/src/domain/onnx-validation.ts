import { inspectOnnxModel, OnnxValidationError, type TensorSignature } from '@tessera/onnx';
import { errors } from '@tessera/errors';
import type { StoredModelInfo, StoredTensorSignature } from '../data/tensor-signature';

/**
 * Reads an ONNX file's facts, or refuses it with BAD_USER_INPUT naming the problem (`reason`
 * says which check failed: EMPTY, NOT_ONNX, TRUNCATED, UNSUPPORTED_OPERATOR, EXTERNAL_DATA, INVALID_GRAPH,
 * INVALID_DIMENSION, …).
 * Runs before anything is stored, so a refused file leaves no version and no object.
 */
function storedSignature(tensor: TensorSignature): StoredTensorSignature {
  return { name: tensor.name, elementType: tensor.elementType, shape: [...tensor.shape], shapeKnown: tensor.shapeKnown };
}

export function validateOnnx(bytes: Uint8Array, field = 'file'): StoredModelInfo {
  try {
    const info = inspectOnnxModel(bytes);
    if (info.inputs.length === 0) throw errors.badInput('The ONNX graph has no inputs (besides its weights); nothing could be predicted with it.', { field, reason: 'NO_INPUTS' });
    if (info.outputs.length === 0) throw errors.badInput('The ONNX graph has no outputs.', { field, reason: 'NO_OUTPUTS' });
    return {
      irVersion: Number(info.irVersion),
      opsets: info.opsets.map((opset) => ({ domain: opset.domain, version: Number(opset.version) })),
      producer: info.producer ? String(info.producer).slice(0, 255) : null,
      inputs: info.inputs.map(storedSignature),
      outputs: info.outputs.map(storedSignature),
    };
  } catch (error) {
    if (error instanceof OnnxValidationError) {
      throw errors.badInput(`The file is not a usable ONNX model: ${error.message}`, { field, reason: error.reason });
    }
    throw error;
  }
}

/**
 * Why an uploaded file is not a model we accept. Each reason maps to one check in
 * `inspectOnnxModel`, so a caller (the model registry) can turn it into a precise user message.
 */
export type OnnxValidationReason =
  | 'EMPTY' // 0 bytes
  | 'NOT_ONNX' // not a serialized ModelProto (text, random bytes, another protobuf)
  | 'TRUNCATED' // starts like a ModelProto but a field runs past the end of the file
  | 'NO_GRAPH' // a ModelProto without a usable graph (no nodes / inputs / outputs)
  | 'UNSUPPORTED_IR_VERSION' // IR version onnxruntime 1.30 cannot load
  | 'UNSUPPORTED_OPSET' // opset version outside what onnxruntime 1.30 implements, or a node without its opset import
  | 'UNSUPPORTED_OPERATOR' // operator (or domain) not on the onnxruntime CPU allow-list
  | 'UNSUPPORTED_TYPE' // a graph input onnxruntime-node cannot feed (sequence, map, ...), or an undefined element type
  | 'EXTERNAL_DATA' // a tensor whose bytes live outside the file
  | 'INVALID_GRAPH' // a node input or graph output nothing defines, a name defined twice, a cycle
  | 'INVALID_DIMENSION' // a fixed input/output dimension no tensor can have (negative, 0 for an input, over 2^31-1)
  | 'TOO_MANY_OUTPUTS'; // more graph outputs than MAX_GRAPH_OUTPUTS

export class OnnxValidationError extends Error {
  override readonly name = 'OnnxValidationError';

  constructor(
    readonly reason: OnnxValidationReason,
    message: string,
  ) {
    super(message);
  }
}

export function isOnnxValidationError(error: unknown): error is OnnxValidationError {
  return error instanceof OnnxValidationError;
}

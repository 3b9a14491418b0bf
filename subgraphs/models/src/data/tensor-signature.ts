/**
 * An input or output of an ONNX graph as the registry stores it (read from the file by
 * `inspectOnnxModel` at upload time). A dim is a fixed size, a symbolic name ("batch"), or null
 * (unknown): only fixed dims constrain what `predict` accepts.
 */
export interface StoredTensorSignature {
  name: string;
  elementType: string;
  shape: Array<number | string | null>;
  /** False when the model declares no shape at all: any rank is accepted (`shape` is then []). */
  shapeKnown: boolean;
}

export interface StoredOpset {
  domain: string;
  version: number;
}

/** What the registry keeps about a validated ONNX file. */
export interface StoredModelInfo {
  irVersion: number;
  opsets: StoredOpset[];
  producer: string | null;
  inputs: StoredTensorSignature[];
  outputs: StoredTensorSignature[];
}

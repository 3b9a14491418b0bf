import protobuf from 'protobufjs';

/**
 * The subset of the official `onnx/onnx.proto` (proto2, package `onnx`) that we read and write.
 * Field numbers are copied from the official schema, so files written here are read by onnxruntime
 * and files from any exporter decode here. Messages we never inspect (TypeProto.Opaque,
 * TensorAnnotation, DeviceConfiguration...) are left out: protobuf skips unknown fields, so a model
 * that uses them still decodes, it just does not show them to us.
 *
 * Kept as a .proto string parsed once at load (not generated code) so the schema is reviewable in
 * one screen and no codegen step is needed.
 */
const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  message Optional {
    optional TypeProto elem_type = 1;
  }
  message SparseTensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8;
  }
  optional string denotation = 6;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
  repeated StringStringEntryProto metadata_props = 4;
}

message TensorProto {
  enum DataLocation {
    DEFAULT = 0;
    EXTERNAL = 1;
  }
  message Segment {
    optional int64 begin = 1;
    optional int64 end = 2;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional Segment segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional DataLocation data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto metadata_props = 16;
}

message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0;
    FLOAT = 1;
    INT = 2;
    STRING = 3;
    TENSOR = 4;
    GRAPH = 5;
    SPARSE_TENSOR = 11;
    TYPE_PROTO = 13;
    FLOATS = 6;
    INTS = 7;
    STRINGS = 8;
    TENSORS = 9;
    GRAPHS = 10;
    SPARSE_TENSORS = 12;
    TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  optional SparseTensorProto sparse_tensor = 22;
  optional TypeProto tp = 14;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  repeated SparseTensorProto sparse_tensors = 23;
  repeated TypeProto type_protos = 15;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  optional string overload = 8;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  repeated StringStringEntryProto metadata_props = 9;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated StringStringEntryProto metadata_props = 16;
}

message FunctionProto {
  optional string name = 1;
  repeated string input = 4;
  repeated string output = 5;
  repeated string attribute = 6;
  repeated AttributeProto attribute_proto = 11;
  repeated NodeProto node = 7;
  optional string doc_string = 8;
  repeated OperatorSetIdProto opset_import = 9;
  optional string domain = 10;
  optional string overload = 13;
  repeated ValueInfoProto value_info = 12;
  repeated StringStringEntryProto metadata_props = 14;
}

message TrainingInfoProto {
  optional GraphProto initialization = 1;
  optional GraphProto algorithm = 2;
  repeated StringStringEntryProto initialization_binding = 3;
  repeated StringStringEntryProto update_binding = 4;
}

message DeviceConfigurationProto {
  optional string name = 1;
  optional int32 num_devices = 2;
  repeated string device = 3;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
  repeated TrainingInfoProto training_info = 20;
  repeated FunctionProto functions = 25;
  repeated DeviceConfigurationProto configuration = 26;
}
`;

// keepCase: field names stay snake_case exactly as in onnx.proto, so the types below read like the spec.
const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;

export const ModelProtoType: protobuf.Type = root.lookupType('onnx.ModelProto');

/** Top-level ModelProto field numbers (wire-level checks use them before full decoding). */
export const MODEL_PROTO_FIELD_NUMBERS: ReadonlySet<number> = new Set(
  ModelProtoType.fieldsArray.map((field) => field.id),
);

/** TensorProto.DataType */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

/** AttributeProto.AttributeType */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** TensorProto.DataLocation */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

// Plain-object views of the messages (what `toObject` returns with our options and what
// `fromObject` accepts). int64 fields are plain numbers: every int64 we read (versions, dims)
// is far below 2^53, and the builders only write small values.

export interface StringStringEntry {
  key?: string;
  value?: string;
}

export interface OperatorSetId {
  domain?: string;
  version?: number;
}

export interface TensorShapeDimension {
  dim_value?: number;
  dim_param?: string;
  denotation?: string;
}

export interface TensorShape {
  dim?: TensorShapeDimension[];
}

export interface TypeDescription {
  tensor_type?: { elem_type?: number; shape?: TensorShape };
  sequence_type?: { elem_type?: TypeDescription };
  map_type?: { key_type?: number; value_type?: TypeDescription };
  optional_type?: { elem_type?: TypeDescription };
  sparse_tensor_type?: { elem_type?: number; shape?: TensorShape };
  denotation?: string;
}

export interface ValueInfo {
  name?: string;
  type?: TypeDescription;
  doc_string?: string;
}

export interface Tensor {
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: number[];
  name?: string;
  doc_string?: string;
  raw_data?: Uint8Array;
  external_data?: StringStringEntry[];
  data_location?: number;
  double_data?: number[];
  uint64_data?: number[];
}

export interface SparseTensor {
  values?: Tensor;
  indices?: Tensor;
  dims?: number[];
}

export interface Attribute {
  name?: string;
  ref_attr_name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: Tensor;
  g?: Graph;
  sparse_tensor?: SparseTensor;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: Tensor[];
  graphs?: Graph[];
  sparse_tensors?: SparseTensor[];
}

export interface Node {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: Attribute[];
  doc_string?: string;
}

export interface Graph {
  node?: Node[];
  name?: string;
  initializer?: Tensor[];
  sparse_initializer?: SparseTensor[];
  doc_string?: string;
  input?: ValueInfo[];
  output?: ValueInfo[];
  value_info?: ValueInfo[];
}

export interface FunctionDefinition {
  name?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: string[];
  /** Attributes with default values: what a `ref_attr_name` in the body reads when a call leaves it out. */
  attribute_proto?: Attribute[];
  node?: Node[];
  opset_import?: OperatorSetId[];
}

export interface TrainingInfo {
  initialization?: Graph;
  algorithm?: Graph;
}

export interface Model {
  ir_version?: number;
  opset_import?: OperatorSetId[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph?: Graph;
  metadata_props?: StringStringEntry[];
  training_info?: TrainingInfo[];
  functions?: FunctionDefinition[];
}

/** Serializes a model object; verification first so a builder bug fails loudly instead of writing junk. */
export function encodeModel(model: Model): Uint8Array {
  const problem = ModelProtoType.verify(model);
  if (problem) throw new Error(`invalid ONNX model object: ${problem}`);
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}

/**
 * Decodes bytes into a plain model object. Throws whatever protobufjs throws on malformed input;
 * callers classify it. Long int64 values become numbers; `defaults: false` keeps absent fields
 * absent so "missing" and "zero" stay distinguishable for validation.
 */
export function decodeModel(bytes: Uint8Array): Model {
  const message = ModelProtoType.decode(bytes);
  return ModelProtoType.toObject(message, {
    longs: Number,
    enums: Number,
    defaults: false,
  }) as Model;
}

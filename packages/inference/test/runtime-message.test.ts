import { sanitizeRuntimeMessage } from '../src/runtime-message';

/** Messages as onnxruntime-node 1.30 words them (taken from real load and run failures). */
describe('sanitizeRuntimeMessage', () => {
  it('cuts source paths, line numbers, C++ signatures and status prefixes, keeps what the runtime says about the model', () => {
    const cases: Array<[string, string]> = [
      [
        '/onnxruntime_src/onnxruntime/core/graph/graph.cc:1555 void onnxruntime::Graph::InitializeStateFromModelFileGraphProto() This is an invalid model. Graph output (output) does not exist in the graph.\n',
        'This is an invalid model. Graph output (output) does not exist in the graph.',
      ],
      [
        "Exception during initialization: /onnxruntime_src/onnxruntime/core/optimizer/initializer.cc:51 onnxruntime::Initializer::Initializer(const onnx::TensorProto&, const std::filesystem::__cxx11::path&) [ONNXRuntimeError] : 1 : FAIL : tensorprotoutils.cc:1540 ValidateEmbeddedTensorProtoDataSizeAndShape Initializer 'w': data field count (1) does not match expected count from shape (2)\n",
        "Exception during initialization: Initializer 'w': data field count (1) does not match expected count from shape (2)",
      ],
      [
        "Non-zero status code returned while running Gemm node. Name:'gemm' Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/math/gemm_helper.h:14 onnxruntime::GemmHelper::GemmHelper(const onnxruntime::TensorShape&, bool, const onnxruntime::TensorShape&, bool, const onnxruntime::TensorShape&) left.NumDimensions() == 2 || left.NumDimensions() == 1 was false.",
        "Non-zero status code returned while running Gemm node. Name:'gemm' Status Message: left.NumDimensions() == 2 || left.NumDimensions() == 1 was false.",
      ],
      ['Load model from /srv/models/tmp/x.onnx failed: \u001b[1;31mprotobuf parsing failed\u001b[m', 'Load model from … failed: protobuf parsing failed'],
    ];
    for (const [raw, kept] of cases) expect(sanitizeRuntimeMessage(raw)).toBe(kept);
  });

  it('leaves messages without source locations as they are (whitespace folded)', () => {
    expect(sanitizeRuntimeMessage('Node (MatMul_output) Op (MatMul) [ShapeInferenceError] Incompatible dimensions for matrix multiplication')).toBe(
      'Node (MatMul_output) Op (MatMul) [ShapeInferenceError] Incompatible dimensions for matrix multiplication',
    );
    expect(sanitizeRuntimeMessage('Got invalid dimensions for input: input for the following indices\n index: 1 Got: 2 Expected: 3\n Please fix either the inputs/outputs or the model.')).toBe(
      'Got invalid dimensions for input: input for the following indices index: 1 Got: 2 Expected: 3 Please fix either the inputs/outputs or the model.',
    );
  });
});

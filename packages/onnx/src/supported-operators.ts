/**
 * What onnxruntime-node 1.30 (CPU execution provider) runs. Checked up front so an upload is refused
 * with a precise reason instead of failing later inside an inference pool.
 *
 * Version ranges were confirmed against onnxruntime-node 1.30 itself (InferenceSession.create on a
 * one-node model): ai.onnx opsets 7..26 load ("Current official support for domain ai.onnx is till
 * opset 26"; below 7 ORT only warns and kernels are missing — its documented floor is opset 7),
 * ai.onnx.ml opsets 1..5 ("... ai.onnx.ml is till opset 5"), IR versions up to 13 ("max supported IR
 * version: 13"); IR 3 is the first with opset imports.
 */
export const SUPPORTED_IR_VERSIONS = { min: 3, max: 13 } as const;

export const DEFAULT_DOMAIN = 'ai.onnx';
export const ML_DOMAIN = 'ai.onnx.ml';

export const SUPPORTED_OPSETS: Readonly<Record<string, { min: number; max: number }>> = {
  [DEFAULT_DOMAIN]: { min: 7, max: 26 },
  [ML_DOMAIN]: { min: 1, max: 5 },
};

/** ONNX writes the default domain as '' or 'ai.onnx'; treat both as one. */
export function canonicalDomain(domain: string | undefined): string {
  return domain === undefined || domain === '' ? DEFAULT_DOMAIN : domain;
}

/**
 * Standard ai.onnx operators with a CPU kernel in onnxruntime (or an ONNX function body that
 * onnxruntime inlines). Deliberately an allow-list: an operator missing here is refused even if
 * some build could run it, because a refused upload is cheap and a pool failing at load is not.
 */
const AI_ONNX_OPERATORS = [
  'Abs', 'Acos', 'Acosh', 'Add', 'AffineGrid', 'And', 'ArgMax', 'ArgMin', 'Asin', 'Asinh', 'Atan', 'Atanh',
  'Attention', 'AveragePool', 'BatchNormalization', 'Bernoulli', 'BitShift', 'BitwiseAnd', 'BitwiseNot',
  'BitwiseOr', 'BitwiseXor', 'BlackmanWindow', 'Cast', 'CastLike', 'Ceil', 'Celu', 'CenterCropPad', 'Clip',
  'Col2Im', 'Compress', 'Concat', 'ConcatFromSequence', 'Constant', 'ConstantOfShape', 'Conv', 'ConvInteger',
  'ConvTranspose', 'Cos', 'Cosh', 'CumSum', 'DFT', 'DepthToSpace', 'DequantizeLinear', 'Det', 'Div', 'Dropout',
  'DynamicQuantizeLinear', 'Einsum', 'Elu', 'Equal', 'Erf', 'Exp', 'Expand', 'EyeLike', 'Flatten', 'Floor',
  'GRU', 'Gather', 'GatherElements', 'GatherND', 'Gelu', 'Gemm', 'GlobalAveragePool', 'GlobalLpPool',
  'GlobalMaxPool', 'Greater', 'GreaterOrEqual', 'GridSample', 'GroupNormalization', 'HammingWindow',
  'HannWindow', 'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'If', 'InstanceNormalization', 'IsInf',
  'IsNaN', 'LRN', 'LSTM', 'LayerNormalization', 'LeakyRelu', 'Less', 'LessOrEqual', 'Log', 'LogSoftmax', 'Loop',
  'LpNormalization', 'LpPool', 'MatMul', 'MatMulInteger', 'Max', 'MaxPool', 'MaxRoiPool', 'MaxUnpool', 'Mean',
  'MeanVarianceNormalization', 'MelWeightMatrix', 'Min', 'Mish', 'Mod', 'Mul', 'Multinomial', 'Neg',
  'NegativeLogLikelihoodLoss', 'NonMaxSuppression', 'NonZero', 'Not', 'OneHot', 'Optional', 'OptionalGetElement',
  'OptionalHasElement', 'Or', 'PRelu', 'Pad', 'Pow', 'QLinearConv', 'QLinearMatMul', 'QuantizeLinear', 'RMSNormalization',
  'RNN', 'RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Range', 'Reciprocal',
  'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean', 'ReduceMin', 'ReduceProd',
  'ReduceSum', 'ReduceSumSquare', 'RegexFullMatch', 'Relu', 'Reshape', 'Resize', 'ReverseSequence', 'RoiAlign',
  'RotaryEmbedding', 'Round', 'STFT', 'Scan', 'Scatter', 'ScatterElements', 'ScatterND', 'Selu', 'SequenceAt',
  'SequenceConstruct', 'SequenceEmpty', 'SequenceErase', 'SequenceInsert', 'SequenceLength', 'SequenceMap', 'Shape',
  'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Size', 'Slice', 'Softmax', 'SoftmaxCrossEntropyLoss', 'Softplus',
  'Softsign', 'SpaceToDepth', 'Split', 'SplitToSequence', 'Sqrt', 'Squeeze', 'StringConcat', 'StringNormalizer',
  'StringSplit', 'Sub', 'Sum', 'Swish', 'Tan', 'Tanh', 'TfIdfVectorizer', 'ThresholdedRelu', 'Tile', 'TopK', 'Transpose',
  'Trilu', 'Unique', 'Unsqueeze', 'Upsample', 'Where', 'Xor',
] as const;

/** Classic-ML operators (scikit-learn / XGBoost / LightGBM converters) with onnxruntime CPU kernels. */
const AI_ONNX_ML_OPERATORS = [
  'ArrayFeatureExtractor', 'Binarizer', 'CastMap', 'CategoryMapper', 'DictVectorizer', 'FeatureVectorizer',
  'Imputer', 'LabelEncoder', 'LinearClassifier', 'LinearRegressor', 'Normalizer', 'OneHotEncoder',
  'SVMClassifier', 'SVMRegressor', 'Scaler', 'TreeEnsemble', 'TreeEnsembleClassifier', 'TreeEnsembleRegressor',
  'ZipMap',
] as const;

export const SUPPORTED_OPERATORS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [DEFAULT_DOMAIN, new Set<string>(AI_ONNX_OPERATORS)],
  [ML_DOMAIN, new Set<string>(AI_ONNX_ML_OPERATORS)],
]);

export function isSupportedOperator(domain: string | undefined, opType: string): boolean {
  return SUPPORTED_OPERATORS.get(canonicalDomain(domain))?.has(opType) ?? false;
}

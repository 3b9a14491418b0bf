export { modelTypes, hyperParameterBounds, defaultHyperParameters, resolveHyperParameters, HyperParameterError, type ModelType, type HyperParameters, type HiddenActivation } from './hyper-parameters';
export { loadTrainingData, TrainingDataError, type TrainingData, type LoadedTrainingData, type LoadOptions } from './training-data';
export { trainModel } from './train-model';
export { TrainingDiverged } from './divergence';
export { predictRow, TrainingCancelled, type TrainedModel, type DenseLayer, type EpochReport, type TrainingHooks } from './trained-model';
export { exportOnnx } from './onnx-export';

import type { InferencePools } from '@tessera/inference';
import type { WorkerPorts } from '../worker-runtime';
import { batchInferenceProcessor } from './batch-inference.processor';
import type { ProcessorTable } from './job-processor';
import { profileProcessor } from './profile.processor';
import { trainProcessor } from './train.processor';

export function createProcessors(deps: { inference: InferencePools; ports: WorkerPorts; maxBatchPredictionValues: number }): ProcessorTable {
  return { TRAIN: trainProcessor(deps.ports), BATCH_INFERENCE: batchInferenceProcessor(deps.inference, deps.ports, deps.maxBatchPredictionValues), PROFILE: profileProcessor(deps.ports) };
}

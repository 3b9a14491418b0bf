import type { InferencePools } from '@tessera/inference';
import { batchInferenceProcessor } from './batch-inference.processor';
import type { ProcessorTable } from './job-processor';
import { profileProcessor } from './profile.processor';
import { trainProcessor } from './train.processor';

export function createProcessors(deps: { inference: InferencePools }): ProcessorTable {
  return { TRAIN: trainProcessor, BATCH_INFERENCE: batchInferenceProcessor(deps.inference), PROFILE: profileProcessor };
}
